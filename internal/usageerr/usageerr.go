// Package usageerr is the error of a bad request to a command (a bad flag
// value, an unknown name, a folder of the wrong kind): exit code 2, and a
// message that names the problem and its fix.
package usageerr

import "errors"

// Error is a bad request; its message names the flag at fault.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// New returns an Error with msg.
func New(msg string) error { return &Error{Msg: msg} }

// Is reports whether err is an Error.
func Is(err error) bool {
	var u *Error
	return errors.As(err, &u)
}
