package extractor

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
)

func TestExitCode(t *testing.T) {
	_, invalid := config.Parse([]byte(`{"appConfig":{}}`), config.Options{})
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
