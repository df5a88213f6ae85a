package simtest

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Alive reports whether process pid runs and is not a zombie. It reads
// /proc, so it works on Linux only.
func Alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) STATE ...
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// ChildPids lists the live (not zombie) children of ppid whose executable
// is exe. It reads /proc, so it works on Linux only.
func ChildPids(ppid int, exe string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(ppid) {
			continue
		}
		if target, _ := os.Readlink("/proc/" + e.Name() + "/exe"); target == exe {
			out = append(out, pid)
		}
	}
	return out
}

// NoPluginLeft fails the test if a child of this process still runs the
// plugin binary exe, after killing every such child.
func NoPluginLeft(tb testing.TB, exe string) {
	tb.Helper()
	if pids := ChildPids(os.Getpid(), exe); len(pids) > 0 {
		for _, p := range pids {
			if proc, err := os.FindProcess(p); err == nil {
				_ = proc.Kill()
			}
		}
		tb.Fatalf("plugin processes left running: %v", pids)
	}
}
