// spawn: the main goroutine starts N goroutines and waits for all: the Go side of compare's
// `spawn` (SpawnWorkload). Each decrements a shared counter; the one that reaches 0 wakes main
// (closes a channel main waits on). N = 1,000,000 (quick 200,000) after an untimed round of
// N/5; ns per goroutine.
package main

import (
	"sync/atomic"
	"time"

	"goloom.io/bench/go/internal/harness"
)

// round goes n tasks and waits until the last is done; returns the wall time in ns.
func round(n int) int64 {
	left := int64(n)
	done := make(chan struct{})
	task := func() {
		if atomic.AddInt64(&left, -1) == 0 {
			close(done)
		}
	}
	t0 := harness.Nanotime()
	for i := 0; i < n; i++ {
		go task()
	}
	<-done
	return harness.Nanotime() - t0
}

func main() {
	a := harness.Parse("spawn")
	n := a.Size.Pick(1_000_000, 200_000, 2_000)
	start := time.Now()
	warm := n / 5
	if warm < 1 {
		warm = 1
	}
	round(warm)
	ns := round(n)
	harness.Result(a, "ns/op", float64(ns)/float64(n), nil, start, time.Now())
}
