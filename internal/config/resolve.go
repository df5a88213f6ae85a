package config

import (
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/pipeline"
	"github.com/govextract/jira-extractor/internal/upload"
)

// Resolved is a job file turned into the plain options of the packages
// that run it. Resolve is the only place the job file's keys meet those
// options: below the command layer no package reads a Job.
type Resolved struct {
	// Job is what extractor.Run and extractor.DryRun take.
	Job extractor.Job
	// Upload holds the upload section (api, app, key, allowDangling); nil
	// when the job file has none.
	Upload *upload.Options
	// UploadAfterRun is upload.afterRun: upload a complete run after it.
	UploadAfterRun bool
	// S3 holds output.s3, for reading a run back (nil: the defaults).
	S3 *store.S3Options
}

// Resolve maps a parsed, validated job to the options of the jira,
// output, pipeline, access and upload packages. Defaults were applied by
// Parse; Resolve only renames and unwraps.
func (j *Job) Resolve() Resolved {
	a, o := j.AppConfig, j.Output
	r := Resolved{S3: o.S3Options()}
	r.Job = extractor.Job{
		Jira: jira.Options{
			SiteURL:            a.SiteURL(),
			GatewayURL:         a.Gateway(),
			AdminURL:           a.AdminBase(),
			SiteName:           a.Site(),
			Email:              a.Email,
			APIToken:           a.APIToken,
			OrgID:              a.OrgID,
			OrgAPIKey:          a.OrgAPIKey,
			RequestsPerSecond:  a.RequestsPerSecond,
			Burst:              a.Burst,
			Concurrency:        a.Concurrency,
			MaxRetries:         a.Retries(),
			Timeout:            a.Timeout.Duration,
			MaxConnections:     a.MaxConnections,
			DisableCompression: a.DisableCompression,
			InsecureSkipVerify: a.InsecureSkipVerify,
		},
		Output: output.Options{
			Destination: o.Location,
			Format:      o.Format,
			Compression: o.Compression,
			BatchRows:   o.BatchRows,
			BatchBytes:  o.BatchBytes,
			OwnerOnly:   o.Private(),
			S3:          r.S3,
		},
		Filter: pipeline.Filter{
			ProjectKeys:     a.ProjectKeys,
			AccountTypes:    a.AccountTypes,
			EntityKinds:     a.EntityKinds,
			RelationKinds:   a.RelationKinds,
			ExcludeInactive: !a.InactiveUsers(),
		},
		Access: access.Options{
			Skip:        !o.EffectiveAccessOn(),
			Permissions: o.ResolvedPermissions(),
		},
	}
	if s := j.SCIM; s != nil {
		r.Job.SCIM, r.Job.SCIMExcludeInactive = j.SCIMOptions(), !s.SCIMIncludeInactive()
	}
	if u := j.Upload; u != nil {
		r.Upload = &upload.Options{API: u.API, App: u.App, KeyID: u.KeyID, KeySecret: u.KeySecret,
			AllowDangling: u.AllowDangling, MaxRetries: upload.DefaultMaxRetries}
		r.UploadAfterRun = u.AfterRun
	}
	return r
}

// S3Options returns output.s3 as the store's options; nil when the job
// file has no output.s3 section.
func (o Output) S3Options() *store.S3Options {
	if o.S3 == nil {
		return nil
	}
	return &store.S3Options{Region: o.S3.Region, Endpoint: o.S3.Endpoint, UsePathStyle: o.S3.UsePathStyle,
		SSE: o.S3.SSE, KMSKeyID: o.S3.KMSKeyID}
}
