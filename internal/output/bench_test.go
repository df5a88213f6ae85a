package output

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
)

// BenchmarkWrite measures rows/s, peak heap and the peak of Arrow memory
// the run held (arrow-peak-MiB, bounded by the run's memory budget) for 1M
// users and 5M relations, in Parquet (zstd) and CSV, with the default batch
// sizes (20,000 rows / 64 MiB). With -short the row counts are divided by 10.
//
//	go test -run '^$' -bench BenchmarkWrite -benchtime 1x ./internal/output/
func BenchmarkWrite(b *testing.B) {
	users, rels := 1_000_000, 5_000_000
	if testing.Short() {
		users, rels = users/10, rels/10
	}
	for _, format := range []string{"parquet", "csv"} {
		b.Run(fmt.Sprintf("users-%d/%s", users, format), func(b *testing.B) {
			benchWrite(b, format, users, func(ctx context.Context, r *Writer, from, n int) error {
				batch := make([]model.Entity, n)
				for i := range batch {
					id := from + i
					batch[i] = model.NewUser(model.UserRecord{
						AccountID: "5b10a2844c20165700ede" + strconv.Itoa(id), AccountType: "atlassian",
						DisplayName: "User Number " + strconv.Itoa(id), Active: id%7 != 0,
						Email: "user" + strconv.Itoa(id) + "@example.com", TimeZone: "Europe/Paris", Locale: "en_US",
						LastActive: time.Date(2025, 1, 1, 0, 0, id%86400, 0, time.UTC),
					})
				}
				return r.WriteEntities(ctx, model.User, batch)
			})
		})
		b.Run(fmt.Sprintf("relations-%d/%s", rels, format), func(b *testing.B) {
			benchWrite(b, format, rels, func(ctx context.Context, r *Writer, from, n int) error {
				batch := make([]model.Relation, n)
				for i := range batch {
					id := from + i
					batch[i] = model.MemberOfRel("5b10a2844c20165700ede"+strconv.Itoa(id/20), "group-"+strconv.Itoa(id%5000))
				}
				return r.WriteRelations(ctx, model.MemberOf, batch)
			})
		})
	}
}

func benchWrite(b *testing.B, format string, rows int, write func(ctx context.Context, r *Writer, from, n int) error) {
	const batch = 10_000
	ctx := context.Background()
	for it := 0; it < b.N; it++ {
		dest := b.TempDir()
		runtime.GC()
		stop := make(chan struct{})
		var peak uint64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		start := time.Now()
		r, err := Create(ctx, withRun(outputCfg(dest, format, "", 0), "BENCH", nil))
		if err != nil {
			b.Fatal(err)
		}
		for from := 0; from < rows; from += batch {
			if err := write(ctx, r, from, min(batch, rows-from)); err != nil {
				b.Fatal(err)
			}
		}
		m := newManifest("BENCH")
		if err := r.Commit(ctx, m); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		var bytes int64
		for _, t := range m.Tables {
			for _, f := range t.Files {
				bytes += f.Bytes
			}
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(r.budget.mem.peak.Load())/(1<<20), "arrow-peak-MiB")
		b.ReportMetric(float64(bytes)/(1<<20), "output-MiB")
	}
}
