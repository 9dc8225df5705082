// yield: two goroutines on one P (GOMAXPROCS 1) take turns with runtime.Gosched, counting
// the yields in a shared counter: the Go side of compare's `yield` (YieldWorkload).
// 1,000,000 (quick 200,000) yields of warm-up, then 5,000,000 (1,000,000) timed; ns per switch.
package main

import (
	"runtime"
	"sync"
	"time"

	"goloom.io/bench/go/internal/harness"
)

// turns is the shared counter. Plain fields, as in the Java workload: with one P only one of
// the two goroutines runs at a time, and the scheduler's switch orders their accesses; main
// reads start/end after the WaitGroup.
type turns struct {
	warm, timed, count int64
	start, end         int64
}

// step returns true when the run is over.
func (t *turns) step() bool {
	t.count++
	c := t.count
	if c == t.warm {
		t.start = harness.Nanotime()
	} else if c == t.warm+t.timed {
		t.end = harness.Nanotime()
	}
	return c >= t.warm+t.timed
}

func main() {
	a := harness.Parse("yield")
	t := &turns{warm: int64(a.Size.Pick(1_000_000, 200_000, 2_000)), timed: int64(a.Size.Pick(5_000_000, 1_000_000, 10_000))}
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	for i := 0; i < 2; i++ {
		go func() {
			defer wg.Done()
			for !t.step() {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	harness.Result(a, "ns/op", float64(t.end-t.start)/float64(t.timed), nil, start, time.Now())
}
