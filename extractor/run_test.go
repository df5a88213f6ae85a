package extractor

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/govextract/jira-extractor/internal/manifest"
)

// badJob is a usage error, as the config package's InvalidError is.
type badJob struct{}

func (badJob) Error() string { return "invalid job file" }
func (badJob) IsUsage() bool { return true }

func TestExitCode(t *testing.T) {
	var invalid error = badJob{}
	cases := []struct {
		name string
		m    *manifest.Manifest
		err  error
		want int
	}{
		{"complete", &manifest.Manifest{Status: manifest.StatusComplete}, nil, ExitComplete},
		{"partial", &manifest.Manifest{Status: manifest.StatusPartial}, nil, ExitPartial},
		{"bad job file", nil, fmt.Errorf("load: %w", invalid), ExitUsage},
		{"failed", &manifest.Manifest{Status: manifest.StatusFailed}, errors.New("GET /rest/api/3/role: 500"), ExitFailed},
		{"cancelled", &manifest.Manifest{Status: manifest.StatusCancelled}, context.Canceled, ExitFailed},
		{"no result", nil, nil, ExitFailed},
	}
	for _, c := range cases {
		if got := ExitCode(c.m, c.err); got != c.want {
			t.Errorf("%s: ExitCode = %d, want %d", c.name, got, c.want)
		}
	}
}
