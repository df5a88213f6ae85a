package tickets

import (
	"context"
	"sync"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/jira"
)

// trackWorkers bounds the issues read at once.
const trackWorkers = 4

// Status is the state of one ticket of an apply run.
type Status struct {
	Action    string `json:"action"`     // the action's id
	Op        string `json:"op"`         // the action's op
	Key       string `json:"key"`        // the issue key
	Status    string `json:"status"`     // the issue's status name ("" when it could not be read)
	Category  string `json:"category"`   // its status category key: new, indeterminate or done
	Done      bool   `json:"done"`       // the status category is done
	Summary   string `json:"summary"`    // the issue's summary
	Error     string `json:"error"`      // why the issue could not be read ("" when it was)
	RunStatus string `json:"run_status"` // the action's status in the apply run (ticketed)
}

// IssueReader is the part of jira.Client Track uses.
type IssueReader interface {
	IssueByKey(ctx context.Context, key string, fields []string) (jira.Issue, error)
}

// Track reads the status of every ticket of an apply run (every action
// with a ticket key), in the run's order: one read each (IssueByKey), a
// few at a time. An issue that cannot be read is reported with its error and
// is not done. It returns early only when ctx is done.
func Track(ctx context.Context, c IssueReader, outs []apply.Outcome) ([]Status, error) {
	var sts []Status
	for _, o := range outs {
		if o.TicketKey != "" {
			sts = append(sts, Status{Action: o.ID, Op: o.Op, Key: o.TicketKey, RunStatus: string(o.Status)})
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(trackWorkers, len(sts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := &sts[i]
				is, err := c.IssueByKey(ctx, s.Key, []string{"status", "summary"})
				if err != nil {
					s.Error = err.Error()
					continue
				}
				s.Summary, s.Status, s.Category = is.Fields.Summary, status(is), category(is)
				s.Done = s.Category == "done"
			}
		}()
	}
feed:
	for i := range sts {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return sts, ctx.Err()
}
