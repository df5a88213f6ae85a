package tickets

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/govextract/jira-extractor/internal/plan"
)

// LabelPrefix starts every dedupe label.
const LabelPrefix = "jira-extractor-"

// DedupeLabel is the label that marks an action's issue, so the same change
// never gets a second issue: "jira-extractor-" and 32 hex digits of the
// SHA-256 of the change (op, relation, entity, from_type, from_id,
// to_type, to_id, email, products). It leaves out the action's id, its
// mode and the plan, so the same change asked by another plan, or first
// tried through the API and then ticketed, finds the same issue. Ids are
// compared as written, except a project role id (written without leading
// zeros), the account of a user op (to_id, else the action id), an email
// (lowercase) and the products (sorted). It is 47 characters of [a-z0-9-]:
// a valid Jira label.
func DedupeLabel(a plan.Action) string {
	toID := a.ToID
	if a.IsUserOp() {
		toID = a.Account()
	}
	if p, r, ok := plan.ParseProjectRole(a.ToID); ok && a.IsRelation() {
		toID = trimZeros(p) + ":" + trimZeros(r)
	}
	products := slices.Clone(a.Products)
	slices.Sort(products)
	parts := []string{string(a.Op), a.Relation, a.Entity, a.FromType, a.FromID, a.ToType, toID,
		strings.ToLower(a.Email), strings.Join(products, ";")}
	h := sha256.New()
	for _, p := range parts {
		// Length-prefixed, so no two different changes hash the same text.
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return LabelPrefix + hex.EncodeToString(h.Sum(nil)[:16])
}

func trimZeros(s string) string {
	if t := strings.TrimLeft(s, "0"); t != "" {
		return t
	}
	return "0"
}
