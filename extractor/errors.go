package extractor

import "github.com/govextract/jira-extractor/extractor/config"

func isUsage(err error) bool { return config.IsInvalid(err) }
