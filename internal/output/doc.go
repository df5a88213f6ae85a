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
// bytes, so memory depends on the batch size, not on the size of the site.
package output
