// park-unpark: two goroutines pass a turn back and forth: the Go side of compare's
// `park-unpark` (ParkUnparkWorkload). Go has no park/unpark for goroutines, so each goroutine
// has a permit channel of capacity 1: unpark is a non-blocking send (a permit that does not
// accumulate, as LockSupport's), park a receive. The holder writes the time into the shared
// stamp, hands the turn over, unparks the other and parks until the turn comes back; the woken
// goroutine records now - stamp. 200,000 (quick 50,000) wakes of warm-up, then 1,000,000
// (100,000) timed and recorded; ns per wake.
package main

import (
	"sync"
	"sync/atomic"
	"time"

	"goloom.io/bench/go/internal/harness"
)

// turn is the hand-off. A goroutine touches wakes/start/end only while turn is its own; its
// atomic store of turn publishes them (and stamp, done) to the other, which loads turn first.
type turn struct {
	warm, timed int64
	turn        int32 // atomic; -1 until started, then 0 or 1
	stamp       int64 // atomic
	done        int32 // atomic
	wakes       int64
	start, end  int64
	permits     [2]chan struct{}
}

func (t *turn) unpark(who int) {
	select {
	case t.permits[who] <- struct{}{}:
	default: // a permit is already there
	}
}

// woke accounts for this wake; false when the run is over (turn handed over with done set).
func (t *turn) woke(me int, now int64, h *harness.Histogram) bool {
	t.wakes++
	k := t.wakes
	if k > t.warm {
		h.Record(now - atomic.LoadInt64(&t.stamp))
	}
	if k == t.warm {
		t.start = now
	} else if k == t.warm+t.timed {
		t.end = now
		atomic.StoreInt32(&t.done, 1)
		atomic.StoreInt32(&t.turn, int32(1-me))
		return false
	}
	atomic.StoreInt64(&t.stamp, harness.Nanotime())
	atomic.StoreInt32(&t.turn, int32(1-me))
	return true
}

func (t *turn) run(me int, h *harness.Histogram) {
	for {
		for atomic.LoadInt32(&t.turn) != int32(me) {
			<-t.permits[me] // park; a stale permit makes the loop re-check, as a spurious wake-up
		}
		now := harness.Nanotime()
		if atomic.LoadInt32(&t.done) != 0 {
			return
		}
		more := t.woke(me, now, h)
		t.unpark(1 - me)
		if !more {
			return
		}
	}
}

func main() {
	a := harness.Parse("park-unpark")
	t := &turn{warm: int64(a.Size.Pick(200_000, 50_000, 500)), timed: int64(a.Size.Pick(1_000_000, 100_000, 2_000)), turn: -1}
	t.permits[0] = make(chan struct{}, 1)
	t.permits[1] = make(chan struct{}, 1)
	hs := [2]*harness.Histogram{harness.NewHistogram(), harness.NewHistogram()}
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	for i := 0; i < 2; i++ {
		me := i
		go func() {
			defer wg.Done()
			t.run(me, hs[me])
		}()
	}
	atomic.StoreInt64(&t.stamp, harness.Nanotime())
	atomic.StoreInt32(&t.turn, 0)
	t.unpark(0)
	wg.Wait()
	hs[0].Add(hs[1])
	harness.Result(a, "ns/op", float64(t.end-t.start)/float64(t.timed), hs[0], start, time.Now())
}
