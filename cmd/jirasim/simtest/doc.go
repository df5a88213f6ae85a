// Package simtest is the shared test support for the simulator: starting it
// for a test (StartSim), job files that read it (Job, JobMap), building the
// project's binaries and watching the processes they start (BuildBinary,
// ChildPids, Alive, NoPluginLeft), a goroutine-safe buffer for logs
// (SyncBuffer), comparing a finished extraction run with the simulator's
// ground truth (Compare, CompareReader): every entity and relation, nothing
// lost, nothing invented, and effective access resolved from the truth by
// the rules alone (ExpectedAccess). Tests and benchmarks of every part of
// the project share it; package sim itself cannot, as simtest imports it.
package simtest
