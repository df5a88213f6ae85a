package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"syscall"

	"github.com/govextract/jira-extractor/internal/secret"
)

// Environment variables that supply credentials. Where one is set (and not
// blank) it wins over the job file.
const (
	EnvEmail     = "JIRA_EMAIL"
	EnvAPIToken  = "JIRA_API_TOKEN"
	EnvOrgAPIKey = "ATLASSIAN_ORG_API_KEY"
	// EnvUploadKeyID and EnvUploadKeySecret are the upload API key (the
	// names the upload command reads too).
	EnvUploadKeyID     = "ENTITY_API_KEY_ID"
	EnvUploadKeySecret = "ENTITY_API_KEY_SECRET"
)

// MaxSecretFileSize is the largest secret file read (apiTokenFile,
// orgApiKeyFile).
const MaxSecretFileSize = 64 << 10

// emailRE is a plausible account email: one @, no spaces, a dotted domain.
var emailRE = regexp.MustCompile(`^[^@\s:]+@[^@\s.]+(\.[^@\s.]+)+$`)

const fixToken = `set appConfig.token to "EMAIL:API_TOKEN", or appConfig.email with appConfig.apiTokenFile, or the environment variables ` +
	EnvEmail + " and " + EnvAPIToken

// resolveSecrets chooses the credentials in use: for each, the environment
// where it is set, else the secret file the job names, else the job file's
// value. It sets AppConfig.Email, APIToken and OrgAPIKey and the upload
// keys, and reports missing, malformed and too-short credentials under the
// key (or variable) they came from, never with their value.
func resolveSecrets(job *Job, opts Options) []Problem {
	var probs []Problem
	add := func(key, msg, fix string) { probs = append(probs, Problem{Key: key, Message: msg, Fix: fix}) }
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	env := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	readFile := opts.ReadSecretFile
	if readFile == nil {
		readFile = readSecretFile
	}
	fromFile := func(key, path string) (string, bool) {
		b, err := readFile(path)
		if err != nil {
			add(key, fmt.Sprintf("cannot read the secret file %s: %v", path, err), "name a readable file that holds only the secret")
			return "", false
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			add(key, fmt.Sprintf("the secret file %s is empty", path), "write the secret into the file, or remove the key")
			return "", false
		}
		return v, true
	}
	a := &job.AppConfig

	// The job file's token, "EMAIL:API_TOKEN".
	var tokEmail, tokKey string
	if tok := strings.TrimSpace(a.Token.Reveal()); tok != "" {
		email, key, ok := strings.Cut(tok, ":")
		email, key = strings.TrimSpace(email), strings.TrimSpace(key)
		switch {
		case !ok:
			add("appConfig.token", "has no colon between the email and the API token", `write it as "EMAIL:API_TOKEN"`)
		case email == "" || key == "":
			add("appConfig.token", "the email or the API token half is empty", `write it as "EMAIL:API_TOKEN", both halves filled in`)
		default:
			tokEmail, tokKey = email, key
		}
	}

	// The email: JIRA_EMAIL, appConfig.email, the token's first half.
	emailFrom := ""
	if v, ok := env(EnvEmail); ok {
		a.Email, emailFrom = v, EnvEmail
	} else if v := strings.TrimSpace(a.EmailAddress); v != "" {
		a.Email, emailFrom = v, "appConfig.email"
	} else if tokEmail != "" {
		a.Email, emailFrom = tokEmail, "appConfig.token"
	}
	// The API token: JIRA_API_TOKEN, appConfig.apiTokenFile, the token's
	// second half.
	tokenFrom := ""
	if v, ok := env(EnvAPIToken); ok {
		a.APIToken, tokenFrom = secret.New(v), EnvAPIToken
	} else if a.APITokenFile != "" {
		if v, ok := fromFile("appConfig.apiTokenFile", a.APITokenFile); ok {
			a.APIToken, tokenFrom = secret.New(v), "appConfig.apiTokenFile"
		}
	} else if tokKey != "" {
		a.APIToken, tokenFrom = secret.New(tokKey), "appConfig.token"
	}
	tokenBad := len(probs) > 0
	switch {
	case tokenBad:
	case emailFrom == "" && tokenFrom == "":
		add("appConfig.token", "missing: no Jira credentials are set", fixToken)
	case emailFrom == "":
		add("appConfig.email", fmt.Sprintf("missing: the API token from %s needs the account's email", tokenFrom),
			"set appConfig.email or "+EnvEmail+`, or write appConfig.token as "EMAIL:API_TOKEN"`)
	case tokenFrom == "":
		add("appConfig.apiTokenFile", fmt.Sprintf("missing: the email from %s needs an API token", emailFrom),
			"set appConfig.apiTokenFile or "+EnvAPIToken+`, or write appConfig.token as "EMAIL:API_TOKEN"`)
	}
	if emailFrom != "" && !emailRE.MatchString(a.Email) {
		add(emailFrom, "the email does not look like an email address (name@example.com)", "give the email of the Atlassian account the API token belongs to")
	}
	if tokenFrom != "" && len(a.APIToken.Reveal()) < secret.MinLength {
		add(tokenFrom, fmt.Sprintf("the API token is shorter than %d characters, so it cannot be a real one", secret.MinLength),
			"copy the whole API token from https://id.atlassian.com/manage-profile/security/api-tokens")
	}

	// The organization API key: ATLASSIAN_ORG_API_KEY, orgApiKeyFile, orgApiKey.
	orgFrom := ""
	if v, ok := env(EnvOrgAPIKey); ok {
		a.OrgAPIKey, orgFrom = secret.New(v), EnvOrgAPIKey
	} else if a.OrgAPIKeyFile != "" {
		if v, ok := fromFile("appConfig.orgApiKeyFile", a.OrgAPIKeyFile); ok {
			a.OrgAPIKey, orgFrom = secret.New(v), "appConfig.orgApiKeyFile"
		}
	} else if v := strings.TrimSpace(a.OrgAPIKey.Reveal()); v != "" {
		a.OrgAPIKey, orgFrom = secret.New(v), "appConfig.orgApiKey"
	} else {
		a.OrgAPIKey = secret.Value{}
	}
	if orgFrom != "" && len(a.OrgAPIKey.Reveal()) < secret.MinLength {
		add(orgFrom, fmt.Sprintf("the organization API key is shorter than %d characters, so it cannot be a real one", secret.MinLength),
			"copy the whole key from admin.atlassian.com (Settings, API keys)")
	}
	switch {
	case a.OrgID == "" && orgFrom != "":
		add("appConfig.orgId", fmt.Sprintf("missing: the organization API key from %s needs the organization id", orgFrom),
			"set appConfig.orgId for Admin API enrichment, or remove the key")
	case a.OrgID != "" && orgFrom == "" && a.OrgAPIKeyFile == "":
		add("appConfig.orgApiKey", "missing: appConfig.orgId needs the organization API key",
			"set appConfig.orgApiKey, appConfig.orgApiKeyFile or "+EnvOrgAPIKey+", or remove appConfig.orgId")
	}

	// The upload API key: the environment wins, as in the upload command.
	if u := job.Upload; u != nil {
		for _, k := range []struct {
			key, env string
			v        *secret.Value
		}{{"upload.keyId", EnvUploadKeyID, &u.KeyID}, {"upload.keySecret", EnvUploadKeySecret, &u.KeySecret}} {
			from := k.key
			if v, ok := env(k.env); ok {
				*k.v, from = secret.New(v), k.env
			} else {
				*k.v = secret.New(strings.TrimSpace(k.v.Reveal()))
			}
			if !k.v.IsZero() && len(k.v.Reveal()) < secret.MinLength {
				add(from, fmt.Sprintf("is shorter than %d characters, so it cannot be a real API key", secret.MinLength), "copy the whole key from the platform's API key page")
			}
		}
	}
	return probs
}

// readSecretFile reads a regular file of at most MaxSecretFileSize bytes.
func readSecretFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; it is then
	// refused as not a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretFileSize+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if len(b) > MaxSecretFileSize {
		return nil, fmt.Errorf("larger than %d KiB, so it is not a secret file", MaxSecretFileSize>>10)
	}
	return b, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
