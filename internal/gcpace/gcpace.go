// Package gcpace sets how often a one-shot build collects garbage:
// seldom while its live heap is small, where collections cost more time
// than the memory they save is worth (a 10,000-page build was 7% faster
// collecting half as often), and as often as the runtime's default once
// the heap is large, where peak memory is what a CI machine runs out of
// (at 100,000 pages the seldom pace held three times the live heap).
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// DefaultPercent is the runtime's own GOGC.
const DefaultPercent = 100

// Build paces the collector for a build: percent (as GOGC) while the
// live heap stays under threshold bytes, then DefaultPercent for the rest
// of the process. It changes nothing when the GOGC environment variable
// is set: whoever set it chose.
func Build(percent int, threshold uint64) {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(percent)
	watch(threshold)
}

// watch checks the live heap after each collection, until it passes
// threshold: a cleanup runs once the collector finds its sentinel
// unreachable, that is after a cycle, and arms the next one.
func watch(threshold uint64) {
	sentinel := new([2]*byte) // holds pointers: never batched with other tiny objects
	runtime.AddCleanup(sentinel, func(threshold uint64) {
		if liveHeap() >= threshold {
			debug.SetGCPercent(DefaultPercent)
			return
		}
		watch(threshold)
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
