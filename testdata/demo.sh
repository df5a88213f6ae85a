#!/usr/bin/env bash
# make demo: extract the simulated Jira site through the extraction runner.
#
#   bash testdata/demo.sh BIN_DIR
#
# Starts jirasim (small site) on a free 127.0.0.1 port, writes a job file for
# it, runs `extraction-runner run --plugin BIN_DIR/jira-extractor` (Parquet
# into ./out), then shows where the output is and what it holds, and stops the
# simulator on exit.
set -euo pipefail

BIN=${1:?usage: bash testdata/demo.sh BIN_DIR}
for b in jirasim jira-extractor extraction-runner; do
  [[ -x "$BIN/$b" ]] || { echo "demo: $BIN/$b is missing; run make build" >&2; exit 1; }
done

work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [[ -n "$sim_pid" ]]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting the Jira simulator (small site)"
"$BIN/jirasim" serve --addr 127.0.0.1:0 --size small --ready-file "$work/ready" >"$work/sim.log" 2>&1 &
sim_pid=$!
url=""
for _ in $(seq 1 300); do
  if [[ -s "$work/ready" ]]; then
    url=$(tr -d '[:space:]' <"$work/ready")
    [[ "$url" == http* ]] && break
  fi
  if ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "demo: the simulator exited:" >&2
    cat "$work/sim.log" >&2
    exit 1
  fi
  sleep 0.1
done
[[ "$url" == http* ]] || { echo "demo: the simulator did not start within 30 s" >&2; exit 1; }
echo "   simulator at $url"

cat >"$work/job.json" <<JOB
{
  "appConfig": {
    "token": "sim@example.com:sim-token",
    "siteName": "sim",
    "baseUrl": "$url",
    "gatewayUrl": "$url"
  },
  "output": { "destination": "./out", "format": "parquet" }
}
JOB

echo "== extraction-runner run --plugin $BIN/jira-extractor --config JOB.json"
set +e
"$BIN/extraction-runner" run --plugin "$BIN/jira-extractor" --config "$work/job.json" >"$work/location"
code=$?
set -e
if [[ $code -ne 0 && $code -ne 3 ]]; then
  echo "demo: the run failed with exit code $code" >&2
  exit "$code"
fi
location=$(tail -n 1 "$work/location")

echo
echo "== the Parquet output is in $location"
"$BIN/jira-extractor" verify "$location"
echo
printf '  %-40s %5s %10s\n' TABLE FILES BYTES
for dir in "$location"/entities/*/ "$location"/relations/*/; do
  [[ -d "$dir" ]] || continue
  files=$(find "$dir" -type f -name '*.parquet' | wc -l)
  bytes=$(find "$dir" -type f -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  printf '  %-40s %5d %10d\n' "$(basename "$(dirname "$dir")")/$(basename "$dir")" "$files" "$bytes"
done
echo
echo "Read it with e.g. DuckDB: SELECT source_type, count(*) FROM read_parquet('$location/entities/*/*.parquet', hive_partitioning=true) GROUP BY 1;"
exit "$code"
