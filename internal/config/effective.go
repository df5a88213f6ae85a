package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/govextract/jira-extractor/internal/access"
)

// DefaultEffectivePermissions is the permission set resolved into the
// effective_permission table when output.effectivePermissions is absent.
var DefaultEffectivePermissions = access.DefaultPermissions

// AllPermissions, alone in output.effectivePermissions, resolves every
// permission a scheme grants.
const AllPermissions = "*"

// permissionKey is the shape of a Jira permission key (BROWSE_PROJECTS, or an
// app's own key).
var permissionKey = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// EffectiveAccessOn reports whether the run writes the effective_role and
// effective_permission tables (output.effectiveAccess, default true).
func (o Output) EffectiveAccessOn() bool { return o.EffectiveAccess == nil || *o.EffectiveAccess }

// ResolvedPermissions returns the permission keys resolved into
// effective_permission: output.effectivePermissions, or the default; nil
// means every permission ("*").
func (o Output) ResolvedPermissions() []string {
	switch {
	case o.EffectivePermissions == nil:
		return DefaultEffectivePermissions
	case len(o.EffectivePermissions) == 1 && o.EffectivePermissions[0] == AllPermissions:
		return nil
	}
	return o.EffectivePermissions
}

// validateEffective checks output.effectivePermissions.
func (o *Output) validateEffective() []Problem {
	var probs []Problem
	ps := o.EffectivePermissions
	for i, p := range ps {
		key := fmt.Sprintf("output.effectivePermissions[%d]", i)
		switch {
		case len(ps) == 0:
		case p == AllPermissions && len(ps) > 1:
			probs = append(probs, Problem{Key: key, Message: `"*" (every permission) is mixed with other keys`, Fix: `write ["*"] alone, or list the keys`})
		case p == AllPermissions:
		case strings.TrimSpace(p) == "":
			probs = append(probs, Problem{Key: key, Message: "is empty", Fix: `list permission keys such as "ADMINISTER_PROJECTS", or ["*"] for all`})
		case !permissionKey.MatchString(p):
			probs = append(probs, Problem{Key: key, Message: fmt.Sprintf("%q is not a permission key", p), Fix: `use keys such as "ADMINISTER_PROJECTS" or "BROWSE_PROJECTS", or ["*"] for all`})
		}
	}
	return probs
}
