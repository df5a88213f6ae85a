package applycmd

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/apply"
)

// The actions table: its name in the manifest and its folder in the run.
const (
	ActionsTable = "actions"
	ActionsKind  = "action"
	ActionsDir   = "actions"
)

var timestampType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

// ActionsSchema is the Arrow schema of the actions table: one row per
// action of the plan, in plan order.
var ActionsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "op", Type: arrow.BinaryTypes.String},
	{Name: "relation", Type: arrow.BinaryTypes.String},
	{Name: "entity", Type: arrow.BinaryTypes.String},
	{Name: "from_type", Type: arrow.BinaryTypes.String},
	{Name: "from_id", Type: arrow.BinaryTypes.String},
	{Name: "to_type", Type: arrow.BinaryTypes.String},
	{Name: "to_id", Type: arrow.BinaryTypes.String},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "http_status", Type: arrow.PrimitiveTypes.Int64},
	{Name: "message", Type: arrow.BinaryTypes.String},
	{Name: "ticket_key", Type: arrow.BinaryTypes.String},
	{Name: "attempts", Type: arrow.PrimitiveTypes.Int64},
	{Name: "started_at", Type: timestampType, Nullable: true},
	{Name: "finished_at", Type: timestampType, Nullable: true},
}, nil)

// actionsRecord builds the actions table from the outcomes.
func actionsRecord(mem memory.Allocator, outs []apply.Outcome) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ActionsSchema)
	defer b.Release()
	str := func(i int, s string) { b.Field(i).(*array.StringBuilder).Append(s) }
	num := func(i, n int) { b.Field(i).(*array.Int64Builder).Append(int64(n)) }
	ts := func(i int, o apply.Outcome, finished bool) {
		t := o.StartedAt
		if finished {
			t = o.FinishedAt
		}
		tb := b.Field(i).(*array.TimestampBuilder)
		if t.IsZero() {
			tb.AppendNull()
			return
		}
		tb.Append(arrow.Timestamp(t.UnixMilli()))
	}
	for _, o := range outs {
		str(0, o.ID)
		str(1, o.Op)
		str(2, o.Relation)
		str(3, o.Entity)
		str(4, o.FromType)
		str(5, o.FromID)
		str(6, o.ToType)
		str(7, o.ToID)
		str(8, string(o.Status))
		num(9, o.HTTPStatus)
		str(10, o.Message)
		str(11, o.TicketKey)
		num(12, o.Attempts)
		ts(13, o, false)
		ts(14, o, true)
	}
	return b.NewRecordBatch()
}
