package applycmd

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// The actions table: its name in the manifest and its folder in the run.
const (
	ActionsTable = "actions"
	ActionsKind  = "action"
	ActionsDir   = "actions"
)

// ActionColumns are the columns of the actions table, in file order: one
// row per action of the plan, in plan order.
var ActionColumns = []model.Column{
	{Name: "id", Type: model.String, Doc: "the action's id, as the plan gives it"},
	{Name: "op", Type: model.String, Doc: "grant, revoke, create, remove, suspend, restore, deactivate or activate"},
	{Name: "relation", Type: model.String, Doc: "member_of or has_role (grant and revoke)"},
	{Name: "entity", Type: model.String, Doc: "user (the user ops)"},
	{Name: "from_type", Type: model.String, Doc: "the relation's from_type"},
	{Name: "from_id", Type: model.String, Doc: "the relation's from_id"},
	{Name: "to_type", Type: model.String, Doc: "the relation's to_type (empty for a user op)"},
	{Name: "to_id", Type: model.String, Doc: "the relation's to_id, or the accountId a user op acts on"},
	{Name: "status", Type: model.String, Doc: "applied, unchanged, failed, skipped or ticketed"},
	{Name: "http_status", Type: model.Int64, Doc: "the status of the write's answer (0 when none was sent)"},
	{Name: "message", Type: model.String, Doc: "what happened, and the fix when it failed"},
	{Name: "ticket_key", Type: model.String, Doc: "the Jira issue that asks a person to make the change"},
	{Name: "attempts", Type: model.Int64, Doc: "writes sent"},
	{Name: "started_at", Type: model.Timestamp, Nullable: true, Doc: "when the action started"},
	{Name: "finished_at", Type: model.Timestamp, Nullable: true, Doc: "when the action finished"},
}

// ActionsSchema is the Arrow schema of the actions table.
var ActionsSchema = output.SchemaOf(ActionColumns)

// ActionsTableSchema describes the actions table of an apply run.
func ActionsTableSchema() output.TableSchema {
	return output.TableSchema{Name: ActionsTable, Kind: ActionsKind, Dir: ActionsDir, Columns: ActionColumns, Schema: ActionsSchema}
}

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
