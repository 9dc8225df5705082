// memory: bytes per parked goroutine, the Go side of compare's `memory` (MemoryWorkload),
// measured as the process's resident set (RSS, /proc/self/statm), not a heap reading: a
// goroutine's stack lives outside Go's heap statistics (and the JVM side reads its heap,
// where a virtual thread's stack chunk lives), so RSS is the reading that sees everything a
// parked goroutine costs. N = 100,000 (quick 20,000) goroutines each block on a receive
// from a gate channel until released; RSS is read (after runtime.GC and debug.FreeOSMemory,
// repeated until two readings agree within 64 KiB, at most 10 times) before starting them and
// once all have reached the receive; bytes = difference / N. Two untimed rounds of N first, as
// on the JVM side (MemoryWorkload.WARM_ROUNDS): the reading is of the steady state, where
// the runtime reuses what earlier goroutines left (Go: dead Gs on the free lists).
// Linux only (/proc).
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"goloom.io/bench/go/internal/harness"
)

const (
	stableBytes = 64 * 1024
	maxGCs      = 10
	pollMillis  = 5
)

// rss is the resident set size in bytes.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		harness.Fail(fmt.Errorf("memory: cannot read the resident set: %v", err))
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		harness.Fail(fmt.Errorf("memory: bad /proc/self/statm %q", b))
	}
	return pages * int64(os.Getpagesize())
}

// rssAfterGC is the resident set after a collection that returns free memory to the OS, repeated until stable.
func rssAfterGC() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	used := rss()
	for i := 1; i < maxGCs; i++ {
		runtime.GC()
		debug.FreeOSMemory()
		next := rss()
		d := next - used
		used = next
		if d <= stableBytes && d >= -stableBytes {
			break
		}
	}
	return used
}

func round(n int) float64 {
	gate := make(chan struct{})
	var parked int64
	var exited sync.WaitGroup
	exited.Add(n)
	task := func() {
		atomic.AddInt64(&parked, 1)
		<-gate
		exited.Done()
	}
	before := rssAfterGC()
	for i := 0; i < n; i++ {
		go task()
	}
	for atomic.LoadInt64(&parked) != int64(n) {
		time.Sleep(pollMillis * time.Millisecond)
	}
	after := rssAfterGC() // its stop-the-world GC finds every counted goroutine at (or blocked in) the receive
	close(gate)
	exited.Wait()
	return float64(after-before) / float64(n)
}

// warmRounds: untimed full-size rounds before the measured one (MemoryWorkload.WARM_ROUNDS).
const warmRounds = 2

func main() {
	a := harness.Parse("memory")
	n := a.Size.Pick(100_000, 20_000, 500)
	start := time.Now()
	for i := 0; i < warmRounds; i++ {
		round(n)
	}
	harness.Result(a, "bytes", round(n), nil, start, time.Now())
}
