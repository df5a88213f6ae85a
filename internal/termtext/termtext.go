// Package termtext makes names read from a site safe to print in a
// terminal table.
package termtext

import "strings"

// Clean replaces control characters (a name's tabs, line breaks, escape
// sequences) with spaces, so they cannot break or restyle a table.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
