// Package output writes a run's entities and relations as typed Arrow tables
// in Parquet (pqarrow) or CSV (arrow/csv) part files, to a local folder or an
// S3 prefix, with manifest.json written last; and reads finished runs back
// (OpenRun: verify, scan).
//
// Layout of a run folder:
//
//	entities/source_type=KIND/part-00000.parquet
//	relations/relation=KIND/part-00000.parquet   (.csv or .csv.gz for CSV)
//	manifest.json                                 (written last)
//
// Rows are buffered per table in Arrow builders and flushed to a new part
// file when a table reaches output.batchRows rows or about output.batchBytes
// bytes. All tables share one Arrow memory budget (BufferBudget): above it
// the largest table is flushed early, above 1.5 times it writers wait for a
// part file to be written, and at most one part file per core (2 to 4) is
// encoded at once. So memory depends on the budget, not on the size of the
// site or on how many tables fill at the same time.
package output
