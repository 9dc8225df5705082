package io.goloom.sync;

import static io.goloom.sync.Rt.STRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Cond;
import io.goloom.core.G;
import io.goloom.core.Mutex;
import io.goloom.core.Once;
import io.goloom.core.RWMutex;
import io.goloom.core.Semaphore;
import io.goloom.core.WaitGroup;
import io.goloom.core.WaitReason;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import io.goloom.testkit.goroutines.AwaitParked;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Mutex, RWMutex, WaitGroup, Once, Cond and Semaphore on the real scheduler. */
class SyncIntegrationTest {

    /** 10^6 contended increments (times the stress knob) under a Mutex. */
    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void mutexGuardsACounter(int procs) {
        int gs = 8;
        int per = 125_000 * STRESS;
        long[] counter = {0};
        Rt.run(procs, () -> {
            Mutex m = new Mutex();
            WaitGroup wg = new WaitGroup();
            wg.add(gs);
            for (int i = 0; i < gs; i++) {
                Go.go(() -> {
                    for (int k = 0; k < per; k++) {
                        m.lock();
                        counter[0]++;
                        if ((k & 255) == 0) {
                            Go.yield(); // hold it across a reschedule now and then: real contention
                        }
                        m.unlock();
                    }
                    wg.done();
                });
            }
            wg.await();
            assertFalse(m.isLocked());
        });
        assertEquals((long) gs * per, counter[0]);
    }

    /**
     * Starvation mode engages and hands the mutex over FIFO. On one P the schedule is fixed:
     * the waiter is woken but the running holder re-takes the mutex first (normal mode
     * barging); having waited over 1 ms the waiter switches the mutex to starvation mode
     * (seen through the isStarving hook); a newcomer then queues behind it, and the holder's
     * unlock hands the mutex to the waiter, then to the newcomer, before the holder gets it
     * back. (With more Ps the woken waiter may win the race on another P in normal mode, which
     * is normal mode working; core's SyncTest runs the same scenario on an injected clock.)
     */
    @Test
    void starvationModeEngagesAndHandsOffFifo() {
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        Rt.run(1, () -> {
            Mutex m = new Mutex();
            m.lock();
            G waiter = Go.go(() -> {
                m.lock();
                order.add("waiter");
                m.unlock();
            });
            AwaitParked.awaitParkedFromGoroutine(waiter, WaitReason.SYNC_MUTEX_LOCK, Rt.TIMEOUT);
            // Let more than the 1 ms threshold pass while the waiter waits. This waits for the
            // clock, not for another goroutine: nothing else is runnable.
            long parkedAt = System.nanoTime();
            while (System.nanoTime() - parkedAt < 2_000_000L) {
                Go.yield();
            }
            m.unlock(); // wakes the waiter into our runnext ...
            m.lock(); // ... but we are running: we take it back (barging)
            while (!m.isStarving()) {
                Go.yield(); // the waiter runs, fails again, and switches to starvation mode
            }
            G newcomer = Go.go(() -> {
                m.lock(); // starving: queue at the tail, no barging
                order.add("newcomer");
                m.unlock();
            });
            AwaitParked.awaitParkedFromGoroutine(newcomer, WaitReason.SYNC_MUTEX_LOCK, Rt.TIMEOUT);
            assertEquals(2, m.waiters());
            m.unlock(); // hand-off to the waiter, then (still starving) to the newcomer
            m.lock();
            order.add("holder");
            m.unlock();
            assertFalse(m.isStarving());
        });
        assertEquals(List.of("waiter", "newcomer", "holder"), order);
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void rwMutexReadersSeeConsistentState(int procs) {
        int writers = 4;
        int readers = 8;
        int iters = 5_000 * STRESS;
        AtomicInteger torn = new AtomicInteger();
        Rt.run(procs, () -> {
            RWMutex rw = new RWMutex();
            long[] pair = {0, 0};
            WaitGroup wg = new WaitGroup();
            wg.add(writers + readers);
            for (int w = 0; w < writers; w++) {
                Go.go(() -> {
                    for (int i = 0; i < iters; i++) {
                        rw.lock();
                        pair[0]++;
                        if ((i & 63) == 0) {
                            Go.yield();
                        }
                        pair[1]++;
                        rw.unlock();
                    }
                    wg.done();
                });
            }
            for (int r = 0; r < readers; r++) {
                Go.go(() -> {
                    for (int i = 0; i < iters; i++) {
                        rw.rLock();
                        if (pair[0] != pair[1]) {
                            torn.incrementAndGet();
                        }
                        if ((i & 63) == 0) {
                            Go.yield();
                        }
                        rw.rUnlock();
                    }
                    wg.done();
                });
            }
            wg.await();
            rw.rLock();
            assertEquals((long) writers * iters, pair[0]);
            rw.rUnlock();
        });
        assertEquals(0, torn.get());
    }

    @Test
    void waitGroupBelowZeroThrows() {
        Rt.run(1, () -> {
            WaitGroup wg = new WaitGroup();
            IllegalStateException e = assertThrows(IllegalStateException.class, wg::done);
            assertEquals("sync: negative WaitGroup counter", e.getMessage());
        });
    }

    /** A plain thread's await blocks the thread (not a carrier) until the goroutines are done. */
    @Test
    void waitGroupAwaitFromPlainThread() {
        try (GoRuntime rt = GoRuntime.create(2)) {
            int n = 100;
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            AtomicInteger done = new AtomicInteger();
            for (int i = 0; i < n; i++) {
                rt.go(() -> {
                    Go.yield();
                    done.incrementAndGet();
                    wg.done();
                });
            }
            wg.await();
            assertEquals(n, done.get());
        }
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void onceRunsOnce(int procs) {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger sawUnfinished = new AtomicInteger();
        Rt.run(procs, () -> {
            Once once = new Once();
            AtomicBoolean finished = new AtomicBoolean();
            int n = 100;
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    once.run(() -> {
                        runs.incrementAndGet();
                        Go.yield();
                        finished.set(true);
                    });
                    if (!finished.get()) {
                        sawUnfinished.incrementAndGet();
                    }
                    wg.done();
                });
            }
            wg.await();
        });
        assertEquals(1, runs.get());
        assertEquals(0, sawUnfinished.get());
    }

    /** A bounded queue on Mutex + two Conds: every item is consumed exactly once. */
    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void condBoundedQueue(int procs) {
        int producers = 10;
        int consumers = 10;
        int per = 1_000 * STRESS;
        int total = producers * per;
        AtomicIntegerArray seen = new AtomicIntegerArray(total);
        Rt.run(procs, () -> {
            Mutex m = new Mutex();
            Cond notEmpty = new Cond(m);
            Cond notFull = new Cond(m);
            ArrayDeque<Integer> q = new ArrayDeque<>();
            int[] remaining = {total};
            WaitGroup wg = new WaitGroup();
            wg.add(producers + consumers);
            for (int p = 0; p < producers; p++) {
                int base = p * per;
                Go.go(() -> {
                    for (int i = 0; i < per; i++) {
                        m.lock();
                        while (q.size() == 4) {
                            notFull.await();
                        }
                        q.add(base + i);
                        notEmpty.signal();
                        m.unlock();
                    }
                    wg.done();
                });
            }
            for (int c = 0; c < consumers; c++) {
                Go.go(() -> {
                    for (;;) {
                        m.lock();
                        while (q.isEmpty() && remaining[0] > 0) {
                            notEmpty.await();
                        }
                        if (q.isEmpty()) { // remaining == 0: everything was consumed
                            m.unlock();
                            break;
                        }
                        int v = q.poll();
                        if (--remaining[0] == 0) {
                            notEmpty.broadcast(); // release the consumers still waiting
                        }
                        notFull.signal();
                        m.unlock();
                        seen.incrementAndGet(v);
                    }
                    wg.done();
                });
            }
            wg.await();
        });
        Rt.assertAllOnce(seen);
    }

    /** A semaphore of 3 bounds the concurrency of 50 goroutines that hold it across yields. */
    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void semaphoreBoundsConcurrency(int procs) {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        Rt.run(procs, () -> {
            Semaphore sem = new Semaphore(3);
            int n = 50;
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    for (int k = 0; k < 20; k++) {
                        sem.acquire();
                        max.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Go.yield();
                        inside.decrementAndGet();
                        sem.release();
                    }
                    wg.done();
                });
            }
            wg.await();
            assertEquals(3, sem.available());
        });
        assertTrue(max.get() <= 3 && max.get() >= 1, "max=" + max.get());
    }

    /**
     * Every primitive parks the goroutine, never the carrier: on one P, goroutines block on a
     * Mutex, an RWMutex, a WaitGroup, a Cond and a Semaphore at once, and main releases them.
     */
    @Test
    void allPrimitivesParkTheGoroutine() {
        Rt.run(1, () -> {
            Mutex m = new Mutex();
            RWMutex rw = new RWMutex();
            WaitGroup gate = new WaitGroup();
            Mutex cm = new Mutex();
            Cond cond = new Cond(cm);
            boolean[] go = {false};
            Semaphore sem = new Semaphore(1);
            m.lock();
            rw.lock();
            gate.add(1);
            sem.acquire();
            WaitGroup finished = new WaitGroup();
            finished.add(5);
            List<G> gs = new ArrayList<>();
            gs.add(Go.go(() -> { m.lock(); m.unlock(); finished.done(); }));
            gs.add(Go.go(() -> { rw.rLock(); rw.rUnlock(); finished.done(); }));
            gs.add(Go.go(() -> { gate.await(); finished.done(); }));
            gs.add(Go.go(() -> {
                cm.lock();
                while (!go[0]) {
                    cond.await();
                }
                cm.unlock();
                finished.done();
            }));
            gs.add(Go.go(() -> { sem.acquire(); sem.release(); finished.done(); }));
            WaitReason[] reasons = {WaitReason.SYNC_MUTEX_LOCK, WaitReason.SYNC_RWMUTEX_RLOCK,
                    WaitReason.SYNC_WAITGROUP_WAIT, WaitReason.SYNC_COND_WAIT, WaitReason.SEMAPHORE_ACQUIRE};
            for (int i = 0; i < gs.size(); i++) {
                AwaitParked.awaitParkedFromGoroutine(gs.get(i), reasons[i], Rt.TIMEOUT);
            }
            m.unlock();
            rw.unlock();
            gate.done();
            cm.lock();
            go[0] = true;
            cond.broadcast();
            cm.unlock();
            sem.release();
            finished.await();
        });
    }
}
