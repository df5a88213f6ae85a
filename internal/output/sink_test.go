package output_test

import (
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/output"
)

// *output.Writer is the extractor's Sink.
var _ extractor.Sink = (*output.Writer)(nil)
