// chan-pingpong: two goroutines on one P (GOMAXPROCS 1) bounce a message over two unbuffered
// channels: the Go side of compare's `chan-pingpong` (ChanPingPongWorkload). Ping sends on a
// and receives on b; pong receives on a and sends on b. 100,000 (quick 20,000) round trips of
// warm-up, then 1,000,000 (200,000) timed, each recorded; ns per round trip.
package main

import (
	"sync"
	"time"

	"goloom.io/bench/go/internal/harness"
)

// ball is what travels: a pointer, as the Java side sends an Object reference.
type ball struct{ _ byte }

var theBall = &ball{}

func main() {
	a := harness.Parse("chan-pingpong")
	warm := a.Size.Pick(100_000, 20_000, 500)
	timed := a.Size.Pick(1_000_000, 200_000, 2_000)
	total := warm + timed
	h := harness.NewHistogram()
	chA := make(chan *ball)
	chB := make(chan *ball)
	start := time.Now()
	var elapsed int64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // pong
		defer wg.Done()
		for i := 0; i < total; i++ {
			chB <- <-chA
		}
	}()
	go func() { // ping
		defer wg.Done()
		for i := 0; i < warm; i++ {
			chA <- theBall
			<-chB
		}
		t0 := harness.Nanotime()
		for i := 0; i < timed; i++ {
			s := harness.Nanotime()
			chA <- theBall
			<-chB
			h.Record(harness.Nanotime() - s)
		}
		elapsed = harness.Nanotime() - t0
	}()
	wg.Wait() // publishes elapsed and h
	harness.Result(a, "ns/op", float64(elapsed)/float64(timed), h, start, time.Now())
}
