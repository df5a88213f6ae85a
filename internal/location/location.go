// Package location parses where a run is written or read: a local path, a
// file:// URL or s3://bucket/prefix. A destination is parsed once into a
// Location; its String form is what the user is shown and parses back to
// the same Location, and Join names a run folder inside it.
package location

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kind says where a Location is.
type Kind int

// The kinds of Location. The zero Kind is an unset Location.
const (
	// Local is a folder on this machine (a path or a file:// URL).
	Local Kind = iota + 1
	// S3 is a key prefix in an S3 (or S3-compatible) bucket.
	S3
)

func (k Kind) String() string {
	switch k {
	case Local:
		return "local"
	case S3:
		return "s3"
	}
	return "unset"
}

// Location is a parsed destination. The zero Location is unset. Locations
// are comparable with ==.
type Location struct {
	kind Kind
	// path is the cleaned local path (Local).
	path string
	// bucket and prefix name an S3 location; prefix has no leading or
	// trailing slash and may be empty (the bucket's root).
	bucket, prefix string
}

// MaxS3KeyPrefix is the longest S3 prefix accepted, leaving room under
// S3's 1024-byte key limit for the run folder and file names.
const MaxS3KeyPrefix = 900

// Error is a destination that cannot be parsed: Problem says what is wrong
// and Fix how to write it instead. Neither repeats a URL's userinfo.
type Error struct {
	Problem string
	Fix     string
}

func (e *Error) Error() string {
	if e.Fix == "" {
		return e.Problem
	}
	return e.Problem + " (fix: " + e.Fix + ")"
}

func fail(fix, format string, a ...any) error {
	return &Error{Problem: fmt.Sprintf(format, a...), Fix: fix}
}

// schemeRE matches a leading URL scheme (RFC 3986: ALPHA *( ALPHA / DIGIT /
// "+" / "-" / "." ) ":"). A destination that starts with one is a URL, not
// a local path, so "s3:/bucket" and "ftp://host/x" are errors rather than
// folders named "s3:" or "ftp:".
var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

const (
	fixLocal = `write a local path ("./out", "/data/jira"), "file:///absolute/path" or "s3://bucket/prefix"`
	fixFile  = `write "file:///absolute/path" (three slashes), "file://localhost/absolute/path", or a plain path`
	fixS3    = `write it like "s3://my-bucket/jira/runs"`
)

// Parse parses a destination:
//
//   - a local path, absolute or relative ("./out", "/data/jira"), taken
//     literally (no percent-decoding) and cleaned;
//   - a file URL with an absolute path: "file:///data/jira",
//     "file://localhost/data/jira" or "file:/data/jira", percent-decoded
//     ("file:///data/my%20runs" is "/data/my runs"); another host, a
//     relative path, a query or a fragment is an error;
//   - "s3://bucket" or "s3://bucket/prefix": the bucket must follow S3's
//     bucket naming rules; the prefix is taken literally, as the AWS CLI
//     does, and may not hold empty, "." or ".." segments, '?', '#', '%',
//     '\' or control characters. A trailing slash is dropped.
//
// Anything else that starts like a URL ("scheme:") is an error, so a
// mistyped URL never becomes a local folder: to name a local folder whose
// name holds a colon, write "./name:x". Errors are *Error.
func Parse(s string) (Location, error) {
	if s == "" {
		return Location{}, fail(fixLocal, "is empty")
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return Location{}, fail(fixLocal, "is not valid text (invalid UTF-8 or a NUL byte)")
	}
	m := schemeRE.FindString(s)
	if m == "" {
		return Location{kind: Local, path: filepath.Clean(s)}, nil
	}
	scheme := strings.ToLower(strings.TrimSuffix(m, ":"))
	rest := s[len(m):]
	switch scheme {
	case "file":
		return parseFile(s)
	case "s3":
		if !strings.HasPrefix(rest, "//") {
			return Location{}, fail(fixS3, "is a malformed S3 URL: it needs two slashes after \"s3:\"")
		}
		return parseS3(rest[2:])
	}
	if len(scheme) == 1 {
		return Location{}, fail(fixLocal, "looks like a Windows drive path, which is not supported")
	}
	return Location{}, fail(fixLocal+`; a local folder whose name holds a colon is written with "./" in front`,
		"has the unsupported scheme %q", scheme)
}

func parseFile(s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return Location{}, fail(fixFile, "is not a valid file URL: %v", err)
	}
	switch {
	case u.User != nil:
		return Location{}, fail(fixFile, "is a file URL with a user name or password, which file URLs cannot have")
	case u.Opaque != "":
		return Location{}, fail(fixFile, "is a file URL with a relative path; file URLs need an absolute path")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return Location{}, fail(fixFile+"; write '?' as %3F and '#' as %23 in a file name", "is a file URL with a query or a fragment")
	case u.Host != "" && !strings.EqualFold(u.Host, "localhost"):
		return Location{}, fail(fixFile, "is a file URL on the host %q: only this machine (no host, or localhost) can be written to; \"file://dir/x\" is not the relative path dir/x", u.Host)
	case u.Path == "":
		return Location{}, fail(fixFile, "is a file URL with no path")
	case !strings.HasPrefix(u.Path, "/"):
		return Location{}, fail(fixFile, "is a file URL with a relative path; file URLs need an absolute path")
	case strings.ContainsRune(u.Path, 0):
		return Location{}, fail(fixFile, "is a file URL whose path holds a NUL byte")
	}
	return Location{kind: Local, path: filepath.Clean(filepath.FromSlash(u.Path))}, nil
}

// bucketRE is S3's general-purpose bucket naming rule: 3 to 63 lowercase
// letters, digits, dots and hyphens, beginning and ending with a letter or
// digit (the other rules are checked in validBucket).
var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ValidateBucket checks name against S3's bucket naming rules and returns
// what is wrong, or nil.
func ValidateBucket(name string) error {
	switch {
	case name == "":
		return errors.New("has no bucket name")
	case len(name) < 3 || len(name) > 63:
		return fmt.Errorf("bucket name has %d characters; S3 bucket names have 3 to 63", len(name))
	case !bucketRE.MatchString(name):
		return errors.New("bucket name may hold only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit")
	case strings.Contains(name, ".."):
		return errors.New("bucket name has two dots in a row")
	case strings.Contains(name, ".-") || strings.Contains(name, "-."):
		return errors.New("bucket name has a dot next to a hyphen")
	case net.ParseIP(name) != nil:
		return errors.New("bucket name is formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("bucket name starts with the reserved prefix %q", p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return fmt.Errorf("bucket name ends with the reserved suffix %q", s)
		}
	}
	return nil
}

func parseS3(rest string) (Location, error) {
	bucket, prefix, _ := strings.Cut(rest, "/")
	if strings.Contains(bucket, "@") {
		return Location{}, fail(fixS3, "is an S3 URL with a user name or password; credentials come from the AWS environment, never from the URL")
	}
	if i := strings.IndexAny(bucket, "?#"); i >= 0 {
		return Location{}, fail(fixS3, "is an S3 URL with a query or a fragment")
	}
	if err := ValidateBucket(bucket); err != nil {
		return Location{}, fail(fixS3, "%s", err.Error())
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if err := validPrefix(prefix); err != nil {
		return Location{}, err
	}
	return Location{kind: S3, bucket: bucket, prefix: prefix}, nil
}

func validPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxS3KeyPrefix {
		return fail(fixS3, "has an S3 prefix of %d bytes; at most %d leave room for the run's file names", len(prefix), MaxS3KeyPrefix)
	}
	for _, r := range prefix {
		switch {
		case r < 0x20 || r == 0x7f:
			return fail(fixS3, "has a control character in its S3 prefix")
		case r == '?' || r == '#':
			return fail(fixS3, "is an S3 URL with a query or a fragment ('?' or '#')")
		case r == '%' || r == '\\':
			return fail(fixS3, "has %q in its S3 prefix; prefixes are taken literally, so leave out '%%' and '\\'", r)
		}
	}
	for _, seg := range strings.Split(prefix, "/") {
		switch seg {
		case "":
			return fail(fixS3, "has an empty segment (\"//\") in its S3 prefix")
		case ".", "..":
			return fail(fixS3, "has a %q segment in its S3 prefix", seg)
		}
	}
	return nil
}

// MustParse is Parse for constants in tests and examples; it panics on error.
func MustParse(s string) Location {
	l, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("location.MustParse(%q): %v", s, err))
	}
	return l
}

// Kind returns where the location is; the zero Location is unset.
func (l Location) Kind() Kind { return l.kind }

// IsZero reports whether the location is unset.
func (l Location) IsZero() bool { return l.kind == 0 }

// IsLocal reports whether the location is a local folder.
func (l Location) IsLocal() bool { return l.kind == Local }

// IsS3 reports whether the location is an S3 prefix.
func (l Location) IsS3() bool { return l.kind == S3 }

// Path returns the cleaned local path of a Local location ("" otherwise).
func (l Location) Path() string { return l.path }

// Bucket returns the bucket of an S3 location ("" otherwise).
func (l Location) Bucket() string { return l.bucket }

// Prefix returns the key prefix of an S3 location, without leading or
// trailing slash ("" for the bucket's root, or for a Local location).
func (l Location) Prefix() string { return l.prefix }

// KeyPrefix returns the prefix with a trailing slash, ready to put in front
// of a key ("" for the bucket's root).
func (l Location) KeyPrefix() string {
	if l.prefix == "" {
		return ""
	}
	return l.prefix + "/"
}

// String returns the location as the user is shown it: the local path, or
// s3://bucket/prefix. Parse(l.String()) == l for every parsed Location.
func (l Location) String() string {
	switch l.kind {
	case Local:
		// A relative path whose first element looks like a URL scheme
		// ("a:b") would parse back as a URL.
		if schemeRE.MatchString(l.path) {
			return "." + string(filepath.Separator) + l.path
		}
		return l.path
	case S3:
		if l.prefix == "" {
			return "s3://" + l.bucket
		}
		return "s3://" + l.bucket + "/" + l.prefix
	}
	return ""
}

// Join returns the location of the folder name inside l: DEST/RUN_ID.
// name must be one non-empty path element (no '/', not "." or ".."), as
// a run id is; Join panics otherwise, since that is the caller's bug, and
// it would let a name escape the destination. Join panics on an unset
// Location.
func (l Location) Join(name string) Location {
	if err := ValidName(name); err != nil {
		panic(fmt.Sprintf("location.Join: %v", err))
	}
	switch l.kind {
	case Local:
		l.path = filepath.Join(l.path, name)
	case S3:
		l.prefix = path.Join(l.prefix, name)
	default:
		panic("location.Join on an unset Location")
	}
	return l
}

// ValidName reports whether name can be joined to a Location: one
// non-empty path element without '/', '\', control or S3-unsafe
// characters, and not "." or "..".
func ValidName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("%q is not a folder name", name)
	case strings.ContainsAny(name, "/\\?#%"):
		return fmt.Errorf("%q holds '/', '\\', '?', '#' or '%%'", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%q is not valid UTF-8", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q holds a control character", name)
		}
	}
	return nil
}
