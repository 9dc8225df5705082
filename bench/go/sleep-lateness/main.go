// sleep-lateness and sleep-lateness-10k: N goroutines started at once from main, each
// sleeping a random 1..100 ms (time.Sleep) and recording how late it woke: the Go side of
// compare's SleepLatenessWorkload. The lengths are those of Java's new SplittableRandom(42)
// (nextInt(1, 101) ms), the same for every run and system. Untimed rounds first, at least two
// for at least 2 s (quick: one round and 0.5 s), as on the JVM (there they let the JIT compile
// the wake-up path; Go needs no warm-up, but the rounds also leave the timer heaps and stacks
// as the JVM runs find them). ms = mean lateness; the histogram holds every sleeper's
// lateness.
package main

import (
	"sync"
	"sync/atomic"
	"time"

	"goloom.io/bench/go/internal/harness"
)

const (
	seed  = 42
	minMs = 1
	maxMs = 100
)

// round runs n sleepers; records lateness into h when not nil; returns the mean lateness in ms.
func round(n int, h *harness.Histogram) float64 {
	rnd := harness.NewSplittableRandom(seed)
	var total int64
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		nanos := int64(rnd.NextInt(minMs, maxMs+1)) * 1_000_000
		d := time.Duration(nanos)
		go func() {
			due := harness.Nanotime() + nanos
			time.Sleep(d)
			late := harness.Nanotime() - due
			atomic.AddInt64(&total, late)
			if h != nil {
				h.RecordAtomic(late)
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return float64(atomic.LoadInt64(&total)) / float64(n) / 1e6
}

func main() {
	a := harness.Parse("sleep-lateness", "sleep-lateness-10k")
	n := a.Size.Pick(100_000, 20_000, 200)
	if a.Workload == "sleep-lateness-10k" {
		n = a.Size.Pick(10_000, 5_000, 200)
	}
	// The JVM side's minimums (at least two rounds for at least 2 s; quick: one round and
	// 0.5 s; test: one round); its wait for a quiet JIT has no Go counterpart.
	minRounds := a.Size.Pick(2, 1, 1)
	minWarm := time.Duration(a.Size.Pick(2000, 500, 0)) * time.Millisecond
	start := time.Now()
	for rounds := 1; ; rounds++ {
		round(n, nil)
		if rounds >= minRounds && time.Since(start) >= minWarm {
			break
		}
	}
	h := harness.NewHistogram()
	mean := round(n, h)
	harness.Result(a, "ms", mean, h, start, time.Now())
}
