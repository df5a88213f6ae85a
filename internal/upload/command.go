package upload

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/secret"
)

// Environment variables holding the platform's API key.
const (
	EnvKeyID     = "ENTITY_API_KEY_ID"
	EnvKeySecret = "ENTITY_API_KEY_SECRET"
)

// Exit codes of Command.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// usageError is a problem with the command line or the job file.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// IsUsage marks a usageError as the caller's to fix.
func (e *usageError) IsUsage() bool { return true }

// IsUsage reports whether err is a usage or configuration problem (exit 2):
// an error with an IsUsage method that says so.
func IsUsage(err error) bool {
	var ue interface{ IsUsage() bool }
	return errors.As(err, &ue) && ue.IsUsage()
}

// JobFile is what the upload command takes from a --config job file.
type JobFile struct {
	// Upload is the upload section (API, App, KeyID, KeySecret,
	// AllowDangling); nil when the job file has none.
	Upload *Options
	// S3 holds output.s3 (nil: the defaults).
	S3 *store.S3Options
}

// LoadJob reads and validates the job file at path; the command layer
// provides it, since only it reads job files.
type LoadJob func(ctx context.Context, path string) (JobFile, error)

const usageText = `Usage: jira-extractor upload --from DEST/RUN_ID --api URL [options]

Uploads a finished run to a governance platform's entity APIs: every entity
first (POST {api}/v0/entities/upload-url, then PUT of a CSV chunk), then every
relation (POST {api}/v0/entity-relations/upload-url, then PUT), only once all
entity chunks are accepted. The run is verified against its manifest first (a
run without manifest.json, or with a file whose checksum does not match, is
refused), and every relation's two ends must be among the run's entities.

The API key comes from the environment, ENTITY_API_KEY_ID and
ENTITY_API_KEY_SECRET, or from the job file's upload.keyId and
upload.keySecret (the environment wins). It is never printed.

A state file records each accepted chunk, so running the same command again
after an interruption resumes where it stopped without sending a chunk twice.

Options:
`

const usageTail = `
Exit codes: 0 uploaded (or dry run listed); 1 failed (run incomplete or
tampered, dangling relations, platform refused); 2 bad usage or bad config.

Examples:
  ENTITY_API_KEY_ID=... ENTITY_API_KEY_SECRET=... \
    jira-extractor upload --from ./out/01J9Z3... --api https://platform.example.com/api
  jira-extractor upload --from s3://bucket/jira/01J9Z3... --config job.json --dry-run
`

// Command runs `jira-extractor upload ARGS`: it returns 0 when the upload
// (or dry run) succeeded, 1 when it failed and 2 on bad usage. load reads
// the --config job file.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, load LoadJob) int {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		from          = fs.String("from", "", "the run to upload: `DEST/RUN_ID`, file:///path or s3://bucket/prefix/RUN_ID (required)")
		api           = fs.String("api", "", "the platform's API base `URL`, e.g. https://platform.example.com/api (required unless --dry-run; default upload.api of --config)")
		app           = fs.String("app", "", "the `App` column of every row (default upload.app of --config, else the run's site)")
		dryRun        = fs.Bool("dry-run", false, "list the chunks that would be sent with their row counts; send nothing")
		allowDangling = fs.Bool("allow-dangling", false, "upload even if some relations refer to entities not in the run (those relations are left out)")
		jobPath       = fs.String("config", "", "a job `file`: its upload section (api, app, keyId, keySecret, allowDangling) and output.s3 options")
		statePath     = fs.String("state", "", "the state `file` (default DEST/RUN_ID/"+StateFileName+" for a local run, ./upload-state-RUN_ID.json for S3)")
		chunkRows     = fs.Int("chunk-rows", DefaultChunkRows, "at most this many `rows` per chunk")
		maxRetries    = fs.Int("max-retries", DefaultMaxRetries, "how many `times` a chunk is sent again after a 429, a 5xx or a dropped connection")
		timeout       = fs.Duration("timeout", DefaultRequestTimeout, "the time limit (`duration`) of each HTTP request")
		verbose       = fs.Bool("verbose", false, "log every accepted chunk and retry details to stderr")
	)
	chunkBytes := int64(DefaultChunkBytes)
	fs.Func("chunk-bytes", "at most this many `bytes` per chunk: a number, or with KiB, MiB or GiB (default 32MiB)", func(s string) error {
		n, err := parseBytes(s)
		if err != nil {
			return err
		}
		chunkBytes = n
		return nil
	})
	usage := func(w io.Writer) {
		fmt.Fprint(w, usageText)
		printFlags(w, fs)
		fmt.Fprint(w, usageTail)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "upload: %v\n\n", err)
		usage(stderr)
		return exitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "upload: "+format+"\nRun 'jira-extractor upload --help' for usage.\n", a...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case *from == "":
		return bad("--from DEST/RUN_ID is required")
	case *chunkRows <= 0:
		return bad("--chunk-rows must be positive")
	case *maxRetries < 0:
		return bad("--max-retries must be 0 or more")
	case *timeout <= 0:
		return bad("--timeout must be positive")
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	opts := Options{API: *api, App: *app, DryRun: *dryRun, AllowDangling: *allowDangling, StatePath: *statePath,
		ChunkRows: *chunkRows, ChunkBytes: chunkBytes, MaxRetries: *maxRetries, RequestTimeout: *timeout, Logger: logger, Out: stdout}
	var s3opts *store.S3Options
	if *jobPath != "" {
		if load == nil {
			return bad("--config is not supported here")
		}
		job, err := load(ctx, *jobPath)
		if err != nil {
			fmt.Fprintf(stderr, "upload: %v\n", err)
			return exitUsage
		}
		s3opts = job.S3
		if u := job.Upload; u != nil {
			if opts.API == "" {
				opts.API = u.API
			}
			if opts.App == "" {
				opts.App = u.App
			}
			opts.AllowDangling = opts.AllowDangling || u.AllowDangling
			opts.KeyID, opts.KeySecret = u.KeyID, u.KeySecret
		}
	}
	opts.KeyID, opts.KeySecret = keysFromEnv(opts.KeyID, opts.KeySecret)
	if !opts.DryRun && opts.API == "" {
		return bad("--api URL is required (or upload.api in the --config job file)")
	}
	if opts.API != "" {
		if err := CheckAPI(opts.API); err != nil {
			return bad("%s", err.Error())
		}
	}

	loc, err := location.Parse(*from)
	if err != nil {
		return bad("--from: %v", err)
	}
	if _, err := uploadFrom(ctx, loc, s3opts, opts); err != nil {
		fmt.Fprintf(stderr, "upload: %v\n", err)
		if IsUsage(err) {
			return exitUsage
		}
		return exitFailed
	}
	return exitOK
}

// AfterRun uploads the run at loc with the job file's upload section (u,
// nil when there is none), for the upload after a run (upload.afterRun);
// s3opts are the output's S3 options. The API key comes from the
// environment or from u's KeyID and KeySecret.
func AfterRun(ctx context.Context, u *Options, s3opts *store.S3Options, loc location.Location, logger *slog.Logger) error {
	if u == nil {
		return &usageError{"the job file has no upload section"}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := *u
	opts.Logger = logger
	opts.KeyID, opts.KeySecret = keysFromEnv(opts.KeyID, opts.KeySecret)
	if opts.API == "" {
		return &usageError{"upload.api is required to upload after the run"}
	}
	res, err := uploadFrom(ctx, loc, s3opts, opts)
	if err != nil {
		return fmt.Errorf("upload %s: %w", loc, err)
	}
	logger.Info("upload finished", "run", res.RunID, "app", res.App,
		"entities", res.Entities.Rows, "entity_chunks", res.Entities.Chunks,
		"relations", res.Relations.Rows, "relation_chunks", res.Relations.Chunks,
		"skipped_chunks", res.Entities.Skipped+res.Relations.Skipped, "special_holders_left_out", sum(res.SpecialHolders), "dangling_left_out", res.Dangling)
	return nil
}

// uploadFrom opens the run, picks the state file and uploads.
func uploadFrom(ctx context.Context, loc location.Location, s3opts *store.S3Options, opts Options) (*Result, error) {
	run, err := OpenRun(ctx, loc, s3opts)
	if err != nil {
		return nil, fmt.Errorf("open run: %w", err)
	}
	if opts.StatePath == "" {
		opts.StatePath = DefaultStatePath(loc, run.Manifest().RunID)
	}
	return Upload(ctx, run, opts)
}

// keysFromEnv returns the environment's API key where it is set, else the
// given one.
func keysFromEnv(id, key secret.Value) (secret.Value, secret.Value) {
	if v := os.Getenv(EnvKeyID); v != "" {
		id = secret.New(v)
	}
	if v := os.Getenv(EnvKeySecret); v != "" {
		key = secret.New(v)
	}
	return id, key
}

// parseBytes reads "33554432", "32MiB", "512KiB" or "1GiB".
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive size like 33554432 or 32MiB", s)
	}
	return n * mult, nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// printFlags lists the flags GNU style (--name VALUE), with their defaults.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + strings.ToUpper(name)
		}
		fmt.Fprintf(w, "%s\n      %s", line, use)
		if d := f.DefValue; d != "" && d != "false" && d != "0" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}
