// Package upload sends a finished run to a governance platform's entity APIs
// in bulk: it verifies the run against its manifest, checks that every
// relation's two ends are among the run's entities, maps entities and
// relations to the platform's CSV formats, splits them into deterministic
// chunks bounded by rows and bytes, and sends each chunk through the
// two-step upload protocol (POST .../upload-url, then PUT of the CSV),
// entities first and relations only once every entity chunk is accepted.
//
// A state file records each accepted chunk (index and sha256), so an
// interrupted upload resumes without sending a chunk twice.
package upload
