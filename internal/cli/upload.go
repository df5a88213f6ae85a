package cli

import (
	"context"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/upload"
)

// cmdUpload hands the upload subcommand (its flags, help and exit codes) to
// the upload package.
func cmdUpload(ctx context.Context, args []string, env Env) int {
	return uploadCommand(ctx, args, env)
}

// uploadCommand runs `upload` with args; run uses it for upload.afterRun.
func uploadCommand(ctx context.Context, args []string, env Env) int {
	return upload.Command(ctx, args, env.Out, env.Err, loadUploadJob)
}

// loadUploadJob reads the --config job file of upload: its upload section
// and output.s3 options. Insecure settings are accepted: upload does not
// talk to Jira.
func loadUploadJob(ctx context.Context, path string) (upload.JobFile, error) {
	job, err := config.Load(ctx, path, config.Options{AllowInsecure: true})
	if err != nil {
		return upload.JobFile{}, err
	}
	r := job.Resolve()
	return upload.JobFile{Upload: r.Upload, S3: r.S3}, nil
}
