package site

import (
	"sync/atomic"
)

// funcSlots bounds one function's calls. Up to Concurrency run within
// their timeout, each holding a slot. A call that overruns its timeout
// gives its slot back at the timeout, so a function that ignores its
// context cannot shut itself down for good, but its goroutine runs on
// (Go cannot stop it) and is counted here until it returns. Past
// overrunCap of those the function is refused with 503: goroutines, and
// what they hold, stay bounded at Concurrency + overrunCap per function.
type funcSlots struct {
	running    chan struct{}
	overrun    atomic.Int64
	overrunCap int64
}

func newFuncSlots(concurrency int) *funcSlots {
	n := max(1, concurrency)
	return &funcSlots{running: make(chan struct{}, n), overrunCap: int64(2 * n)}
}

// overrunning is how many of the function's calls are still running past
// their timeout: for the log now, for metrics later.
func (s *funcSlots) overrunning() int64 { return s.overrun.Load() }

// full reports whether the function has as many overrunning calls as it
// may.
func (s *funcSlots) full() bool { return s.overrun.Load() >= s.overrunCap }

// take returns a call holding a slot, or nil if all are taken.
func (s *funcSlots) take() *funcCall {
	select {
	case s.running <- struct{}{}:
		return &funcCall{slots: s}
	default:
		return nil
	}
}

// funcCall is one call's claim on its function's slots: released once,
// by whichever of the function's return and its timeout comes first.
type funcCall struct {
	slots *funcSlots
	state atomic.Int32 // callRunning, callReturned, callOverran
}

const (
	callRunning int32 = iota
	callReturned
	callOverran
)

// returned is called when the function returns; it reports whether the
// call had overrun its timeout (its slot was given back then).
func (c *funcCall) returned() (late bool) {
	if c.state.CompareAndSwap(callRunning, callReturned) {
		<-c.slots.running
		return false
	}
	c.slots.overrun.Add(-1)
	return true
}

// timedOut is called at the timeout: the slot is given back and the
// still-running goroutine counted. It reports false if the function
// returned meanwhile.
func (c *funcCall) timedOut() bool {
	c.slots.overrun.Add(1) // before the swap, so that returned never takes it below 0
	if !c.state.CompareAndSwap(callRunning, callOverran) {
		c.slots.overrun.Add(-1)
		return false
	}
	<-c.slots.running
	return true
}
