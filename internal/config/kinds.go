package config

import "github.com/govextract/jira-extractor/internal/model"

func sourceTypeNames() []string {
	out := make([]string, len(model.SourceTypes))
	for i, s := range model.SourceTypes {
		out[i] = string(s)
	}
	return out
}

func relationKindNames() []string {
	out := make([]string, len(model.RelationKinds))
	for i, s := range model.RelationKinds {
		out[i] = string(s)
	}
	return out
}
