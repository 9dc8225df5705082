// fairness: four CPU-bound goroutines and a ticker on GOMAXPROCS 2: the Go side of compare's
// `fairness` (FairnessWorkload). The hogs spin in the same xorshift loop as the JVM's Hog
// (no call that blocks or yields: Go's asynchronous preemption is what lets the ticker run);
// the ticker sleeps to its next 10 ms tick with time.Sleep and records how late it woke,
// skipping missed ticks. 5 s (quick 2 s); the clock starts just before the goroutines. ms =
// mean lateness; the run fails if a hog made no progress.
package main

import (
	"fmt"
	"sync"
	"time"

	"goloom.io/bench/go/internal/harness"
)

const (
	hogs     = 4
	periodNs = 10_000_000
)

// spinUntil is Hog.spinUntil: work units done until end.
func spinUntil(end int64) int64 {
	var units int64
	x := uint64(0x9E3779B97F4A7C15)
	for harness.Nanotime() < end {
		for i := 0; i < 1_000; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		units++
	}
	if x == 42 {
		units++
	}
	return units
}

func main() {
	a := harness.Parse("fairness")
	runNs := int64(a.Size.Pick(5_000, 2_000, 1_000)) * 1_000_000
	h := harness.NewHistogram()
	var progress [hogs]int64
	var sum, ticks int64
	start := time.Now()
	windowStart := harness.Nanotime()
	end := windowStart + runNs
	var wg sync.WaitGroup
	wg.Add(hogs + 1)
	for i := 0; i < hogs; i++ {
		me := i
		go func() {
			defer wg.Done()
			progress[me] = spinUntil(end)
		}()
	}
	go func() { // the ticker
		defer wg.Done()
		next := windowStart + periodNs
		for next < end {
			if wait := next - harness.Nanotime(); wait > 0 {
				time.Sleep(time.Duration(wait))
			}
			now := harness.Nanotime()
			late := now - next
			if late < 0 {
				late = 0
			}
			h.Record(late)
			sum += late
			ticks++
			next += periodNs
			if next-now <= 0 {
				next += ((now-next)/periodNs + 1) * periodNs // skip missed ticks
			}
		}
	}()
	wg.Wait()
	for i, p := range progress {
		if p == 0 {
			harness.Fail(fmt.Errorf("fairness: hog %d made no progress on go", i))
		}
	}
	mean := 0.0
	if ticks > 0 {
		mean = float64(sum) / float64(ticks) / 1e6
	}
	harness.Result(a, "ms", mean, h, start, time.Now())
}
