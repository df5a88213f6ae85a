package extractor

import (
	"time"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
)

// progressEvery is how often progress events are sent.
const progressEvery = 250 * time.Millisecond

// events delivers a run's events to RunOptions.OnEvent from one goroutine,
// in the order they were sent, with progress snapshots in between.
type events struct {
	fn      func(Event)
	tracker *progress.Tracker
	ch      chan Event
	quit    chan struct{}
	done    chan struct{}
}

// startEvents starts the delivery goroutine; with a nil fn nothing runs and
// every method is a no-op.
func startEvents(fn func(Event), tracker *progress.Tracker) *events {
	e := &events{fn: fn, tracker: tracker, ch: make(chan Event, 64), quit: make(chan struct{}), done: make(chan struct{})}
	if fn == nil {
		close(e.done)
		return e
	}
	go e.loop()
	return e
}

func (e *events) loop() {
	defer close(e.done)
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case ev := <-e.ch:
			e.fn(ev)
		case <-tick.C:
			e.fn(Event{Type: EventProgress, Progress: e.tracker.Snapshot()})
		case <-e.quit:
			for {
				select {
				case ev := <-e.ch:
					e.fn(ev)
				default:
					e.fn(Event{Type: EventProgress, Progress: e.tracker.Snapshot()})
					return
				}
			}
		}
	}
}

// send queues an event; it is dropped once the loop has stopped.
func (e *events) send(ev Event) {
	if e.fn == nil {
		return
	}
	select {
	case e.ch <- ev:
	case <-e.done:
	}
}

func (e *events) warning(w manifest.Warning) { e.send(Event{Type: EventWarning, Warning: w}) }

func (e *events) table(t manifest.Table) { e.send(Event{Type: EventTable, Table: t}) }

func (e *events) aborted(c Cleanup) { e.send(Event{Type: EventAborted, Cleanup: c}) }

// stop delivers what is queued and a final progress event, then returns.
// Calling it twice is fine.
func (e *events) stop() {
	if e.fn == nil {
		return
	}
	select {
	case <-e.quit:
	default:
		close(e.quit)
	}
	<-e.done
}
