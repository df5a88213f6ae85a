package location

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	cases := []struct {
		in                   string
		kind                 Kind
		path, bucket, prefix string
		str                  string
	}{
		{in: "./out", kind: Local, path: "out", str: "out"},
		{in: "out/", kind: Local, path: "out", str: "out"},
		{in: "/data/jira/", kind: Local, path: "/data/jira", str: "/data/jira"},
		{in: "/data/../tmp//x", kind: Local, path: "/tmp/x", str: "/tmp/x"},
		{in: "../runs", kind: Local, path: "../runs", str: "../runs"},
		{in: "my runs%20x", kind: Local, path: "my runs%20x", str: "my runs%20x"}, // paths are literal
		{in: "./a:b", kind: Local, path: "a:b", str: "./a:b"},                     // colon folder keeps its "./"
		{in: "/a:b", kind: Local, path: "/a:b", str: "/a:b"},
		{in: "file:///data/jira", kind: Local, path: "/data/jira", str: "/data/jira"},
		{in: "file://localhost/tmp/x", kind: Local, path: "/tmp/x", str: "/tmp/x"},
		{in: "file://LOCALHOST/tmp/x/", kind: Local, path: "/tmp/x", str: "/tmp/x"},
		{in: "FILE:///tmp/x", kind: Local, path: "/tmp/x", str: "/tmp/x"},
		{in: "file:/tmp/x", kind: Local, path: "/tmp/x", str: "/tmp/x"},
		{in: "file:///data/my%20runs", kind: Local, path: "/data/my runs", str: "/data/my runs"},
		{in: "file:///", kind: Local, path: "/", str: "/"},
		{in: "s3://bucket", kind: S3, bucket: "bucket", str: "s3://bucket"},
		{in: "s3://bucket/", kind: S3, bucket: "bucket", str: "s3://bucket"},
		{in: "s3://my-bucket.eu/jira/runs/", kind: S3, bucket: "my-bucket.eu", prefix: "jira/runs", str: "s3://my-bucket.eu/jira/runs"},
		{in: "S3://abc/x y+z=1", kind: S3, bucket: "abc", prefix: "x y+z=1", str: "s3://abc/x y+z=1"},
	}
	for _, tc := range cases {
		l, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if l.Kind() != tc.kind || l.Path() != tc.path || l.Bucket() != tc.bucket || l.Prefix() != tc.prefix {
			t.Errorf("Parse(%q) = %v %q %q %q, want %v %q %q %q", tc.in, l.Kind(), l.Path(), l.Bucket(), l.Prefix(), tc.kind, tc.path, tc.bucket, tc.prefix)
		}
		if l.String() != tc.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, l.String(), tc.str)
		}
		back, err := Parse(l.String())
		if err != nil || back != l {
			t.Errorf("Parse(%q).String() = %q does not round-trip: %+v %v", tc.in, l.String(), back, err)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "empty"},
		{"file://", "no path"},
		{"file://localhost", "no path"},
		{"file://relative", `host "relative"`},
		{"file://relative/dir", `host "relative"`},
		{"file://otherhost/x", `host "otherhost"`},
		{"file:relative", "relative path"},
		{"file:///x?y", "query"},
		{"file:///x#y", "fragment"},
		{"file://user:hunter2@localhost/x", "user name or password"},
		{"file:///x%00y", "NUL"},
		{"file:///x%zz", "not a valid file URL"},
		{"s3:/bucket/x", "two slashes"},
		{"s3:bucket", "two slashes"},
		{"s3://", "no bucket"},
		{"s3:///x", "no bucket"},
		{"s3://ab", "3 to 63"},
		{"s3://" + strings.Repeat("a", 64), "3 to 63"},
		{"s3://My-Bucket/x", "lowercase"},
		{"s3://my_bucket", "lowercase"},
		{"s3://-bucket", "begin and end"},
		{"s3://bucket-", "begin and end"},
		{"s3://a..b", "two dots"},
		{"s3://a.-b", "dot next to a hyphen"},
		{"s3://192.168.5.4", "IP address"},
		{"s3://xn--bucket", "reserved prefix"},
		{"s3://sthree-x", "reserved prefix"},
		{"s3://bucket-s3alias", "reserved suffix"},
		{"s3://bucket--ol-s3", "reserved suffix"},
		{"s3://key:hunter2@bucket/x", "user name or password"},
		{"s3://bucket?versionId=1", "query"},
		{"s3://bucket/x?y", "query"},
		{"s3://bucket/a//b", "empty segment"},
		{"s3://bucket/a/../b", `".." segment`},
		{"s3://bucket/./b", `"." segment`},
		{"s3://bucket/a%20b", "literally"},
		{"s3://bucket/a\\b", "literally"},
		{"s3://bucket/a\x01b", "control character"},
		{"s3://bucket/" + strings.Repeat("k", MaxS3KeyPrefix+1), "at most"},
		{"ftp://host/x", `unsupported scheme "ftp"`},
		{"http://host/x", `unsupported scheme "http"`},
		{"gs://bucket/x", `unsupported scheme "gs"`},
		{"out:2024", `unsupported scheme "out"`},
		{"C:\\data", "Windows"},
		{"a\x00b", "NUL"},
		{"\xff", "UTF-8"},
	}
	for _, tc := range cases {
		l, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error containing %q", tc.in, l, tc.want)
			continue
		}
		var le *Error
		if !errors.As(err, &le) || le.Fix == "" {
			t.Errorf("Parse(%q): error %v is not an *Error with a fix", tc.in, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tc.in, err, tc.want)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Parse(%q) echoes the password: %v", tc.in, err)
		}
	}
}

func TestJoin(t *testing.T) {
	cases := []struct{ dest, want string }{
		{"./out", "out/R1"},
		{"/data/jira/", "/data/jira/R1"},
		{"file://localhost/tmp/x", "/tmp/x/R1"}, // reported as written, not "localhost/tmp/x/R1"
		{"file:///tmp/x", "/tmp/x/R1"},
		{"s3://bucket", "s3://bucket/R1"},
		{"s3://bucket/prefix/", "s3://bucket/prefix/R1"},
	}
	for _, tc := range cases {
		got := MustParse(tc.dest).Join("R1")
		if got.String() != tc.want {
			t.Errorf("Join(%q, R1) = %q, want %q", tc.dest, got.String(), tc.want)
		}
		if back := MustParse(got.String()); back != got {
			t.Errorf("joined %q does not round-trip: %+v vs %+v", got, back, got)
		}
	}
	if l := MustParse("s3://bucket/p").Join("R1"); l.Bucket() != "bucket" || l.Prefix() != "p/R1" || l.KeyPrefix() != "p/R1/" {
		t.Errorf("S3 join = %+v", l)
	}
	if l := MustParse("s3://bucket"); l.KeyPrefix() != "" {
		t.Errorf("root KeyPrefix = %q", l.KeyPrefix())
	}
}

func TestJoinRefusesEscapingNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", "../x", "a\\b", "a?b", "a\nb"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Join(%q) did not panic", name)
				}
			}()
			MustParse("/tmp").Join(name)
		}()
	}
	defer func() {
		if recover() == nil {
			t.Error("Join on an unset Location did not panic")
		}
	}()
	Location{}.Join("R1")
}

func TestZero(t *testing.T) {
	var l Location
	if !l.IsZero() || l.String() != "" || l.Kind().String() != "unset" || l.IsLocal() || l.IsS3() {
		t.Fatalf("zero Location: %+v", l)
	}
	if !MustParse("s3://abc").IsS3() || !MustParse("x").IsLocal() {
		t.Fatal("IsS3/IsLocal")
	}
}
