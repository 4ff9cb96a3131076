// Package gcpace sets how often a one-shot build collects garbage:
// seldom while its live heap is small, where collections cost more time
// than the memory they save is worth (a 10,000-page build was 7% faster
// at GOGC=200), and more often once the heap is large, where peak memory
// is what a CI machine runs out of. At 100,000 pages (400 MB live) the
// runtime's default pace spent a third of the build's CPU collecting;
// GOGC=150 took a fifth off the build's CPU for 1.2 GB of peak instead of
// 1.0, and GOGC=200 held 1.3 GB for little more.
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Build paces the collector for a build: small (as GOGC) while the live
// heap stays under threshold bytes, then large for the rest of the
// process. It changes nothing when the GOGC environment variable is set:
// whoever set it chose.
func Build(small, large int, threshold uint64) {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(small)
	watch(large, threshold)
}

// watch checks the live heap after each collection, until it passes
// threshold: a cleanup runs once the collector finds its sentinel
// unreachable, that is after a cycle, and arms the next one.
func watch(large int, threshold uint64) {
	sentinel := new([2]*byte) // holds pointers: never batched with other tiny objects
	runtime.AddCleanup(sentinel, func(threshold uint64) {
		if liveHeap() >= threshold {
			debug.SetGCPercent(large)
			return
		}
		watch(large, threshold)
	}, threshold)
}

// liveHeap is the heap the last collection found live, in bytes.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
