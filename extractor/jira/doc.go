// Package jira is the extractor's Jira Cloud and Atlassian Admin API client:
// authentication and token-kind detection, one adaptive client-side rate
// limiter for every request, bounded retries with backoff, and typed page
// readers for each endpoint of JIRA_API.md.
package jira
