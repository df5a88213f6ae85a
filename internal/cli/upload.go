package cli

import (
	"context"

	"github.com/govextract/jira-extractor/internal/upload"
)

// cmdUpload hands the upload subcommand (its flags, help and exit codes) to
// the upload package.
func cmdUpload(ctx context.Context, args []string, env Env) int {
	return uploadCommand(ctx, args, env)
}

// uploadCommand runs `upload` with args; run uses it for upload.afterRun.
func uploadCommand(ctx context.Context, args []string, env Env) int {
	return upload.Command(ctx, args, env.Out, env.Err)
}
