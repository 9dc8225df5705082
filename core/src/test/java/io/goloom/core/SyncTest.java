package io.goloom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Mutex, RWMutex, WaitGroup, Once, Cond, Semaphore and Sema on the deterministic scheduler. */
class SyncTest {

    private final TestSched s = new TestSched();
    private final List<String> trace = Collections.synchronizedList(new ArrayList<>());

    private static void pass() {
        G.current().yieldAs(G.EXEC_YIELD);
    }

    // ---- Mutex ----------------------------------------------------------------------------

    @Test
    void mutexBasics() {
        Mutex m = new Mutex();
        assertTrue(m.tryLock());
        assertFalse(m.tryLock());
        assertTrue(m.isLocked());
        m.unlock();
        assertFalse(m.isLocked());
        IllegalStateException e = assertThrows(IllegalStateException.class, m::unlock);
        assertEquals("sync: unlock of unlocked mutex", e.getMessage());
        assertEquals(0, m.state()); // the misuse left the state intact
        m.lock();
        m.unlock();
    }

    @Test
    void mutexParksTheWaiter() {
        Mutex m = new Mutex();
        s.go("holder", () -> {
            m.lock();
            trace.add("holder locked");
            pass();
            trace.add("holder unlocks");
            m.unlock();
        });
        G waiter = s.go("waiter", () -> {
            m.lock();
            trace.add("waiter locked");
            m.unlock();
        });
        s.go("check", () -> {
            assertEquals(G.WAITING, waiter.status());
            assertEquals(WaitReason.SYNC_MUTEX_LOCK, waiter.waitReason());
            assertEquals(1, m.waiters());
        });
        s.runUntilIdle();
        assertEquals(List.of("holder locked", "holder unlocks", "waiter locked"), trace);
        assertEquals(0, m.state());
    }

    @Test
    void mutexGuardsACounterAcrossYields() {
        Mutex m = new Mutex();
        int[] counter = {0};
        int gs = 20;
        int iters = 50;
        for (int i = 0; i < gs; i++) {
            s.go(() -> {
                for (int k = 0; k < iters; k++) {
                    m.lock();
                    int v = counter[0];
                    pass(); // others run (and queue) while we hold the lock
                    counter[0] = v + 1;
                    m.unlock();
                }
            });
        }
        s.runUntilIdle();
        assertEquals(gs * iters, counter[0]);
        assertEquals(0, m.state());
        assertTrue(s.alive().isEmpty());
    }

    /**
     * Starvation mode, deterministically: the waiter is woken but beaten to the lock by the
     * running holder (normal mode barging); having waited more than 1 ms (on the injected
     * clock) it switches the mutex to starvation mode; from then on a newcomer queues behind
     * it and unlock hands the mutex over FIFO.
     */
    @Test
    void starvationModeHandsOffFifo() {
        Mutex m = new Mutex();
        s.go("g1", () -> {
            m.lock();
            pass(); // g2 queues
            assertEquals(1, m.waiters());
            s.advance(2 * Mutex.STARVATION_THRESHOLD_NS);
            m.unlock(); // normal mode: wakes g2 (into our runnext) ...
            m.lock(); // ... but we are running and take the mutex back first
            trace.add("g1 barged");
            pass(); // g2 runs, finds it locked after > 1 ms: starvation mode
            assertTrue(m.isStarving(), m.toString());
            s.go("g3", () -> {
                assertTrue(m.isStarving());
                m.lock(); // a newcomer in starvation mode: no barging, queue at the tail
                trace.add("g3 locked");
                m.unlock();
            });
            pass(); // g3 queues behind g2
            assertEquals(2, m.waiters());
            m.unlock(); // hands off to g2 and yields to it
            trace.add("g1 after unlock");
            m.lock();
            trace.add("g1 locked again");
            m.unlock();
        });
        s.go("g2", () -> {
            m.lock();
            trace.add("g2 locked");
            m.unlock(); // still starving (g3 waits): hands off to g3
        });
        s.runUntilIdle();
        assertEquals(List.of("g1 barged", "g2 locked", "g3 locked", "g1 after unlock", "g1 locked again"), trace);
        assertFalse(m.isStarving()); // g3 waited < 1 ms and was the last waiter: normal again
        assertEquals(0, m.state());
    }

    @Test
    void mutexFromPlainThreads() throws Exception {
        Mutex m = new Mutex();
        int[] counter = {0};
        int n = 4;
        int iters = 20_000;
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                for (int k = 0; k < iters; k++) {
                    m.lock();
                    counter[0]++;
                    m.unlock();
                }
            });
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            t.join(30_000);
        }
        assertEquals(n * iters, counter[0]);
        assertEquals(0, m.state());
    }

    // ---- RWMutex --------------------------------------------------------------------------

    @Test
    void rwMutexReadersShareWritersExclude() {
        RWMutex rw = new RWMutex();
        AtomicInteger readers = new AtomicInteger();
        AtomicInteger maxReaders = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean();
        for (int i = 0; i < 3; i++) {
            s.go(() -> {
                rw.rLock();
                maxReaders.accumulateAndGet(readers.incrementAndGet(), Math::max);
                assertFalse(writing.get());
                pass();
                readers.decrementAndGet();
                rw.rUnlock();
            });
        }
        G writer = s.go("writer", () -> {
            rw.lock();
            writing.set(true);
            assertEquals(0, readers.get());
            pass();
            writing.set(false);
            rw.unlock();
        });
        G lateReader = s.go("late reader", () -> {
            rw.rLock(); // a writer is pending: wait for it
            assertFalse(writing.get());
            trace.add("late reader");
            rw.rUnlock();
        });
        s.go("check", () -> {
            assertEquals(G.WAITING, writer.status());
            assertEquals(WaitReason.SYNC_RWMUTEX_LOCK, writer.waitReason());
            assertEquals(G.WAITING, lateReader.status());
            assertEquals(WaitReason.SYNC_RWMUTEX_RLOCK, lateReader.waitReason());
        });
        s.runUntilIdle();
        assertEquals(3, maxReaders.get());
        assertEquals(List.of("late reader"), trace);
        assertTrue(rw.tryLock());
        assertFalse(rw.tryRLock());
        rw.unlock();
        assertTrue(rw.tryRLock());
        assertFalse(rw.tryLock());
        rw.rUnlock();
        assertThrows(IllegalStateException.class, rw::rUnlock);
        assertThrows(IllegalStateException.class, rw::unlock);
        assertTrue(rw.tryLock()); // still usable after the misuse
        rw.unlock();
    }

    // ---- WaitGroup ------------------------------------------------------------------------

    @Test
    void waitGroupWaitsForAll() {
        WaitGroup wg = new WaitGroup();
        int n = 5;
        wg.add(n);
        AtomicInteger finished = new AtomicInteger();
        G waiter = s.go("waiter", () -> {
            wg.await();
            assertEquals(n, finished.get());
            trace.add("waited");
        });
        for (int i = 0; i < n; i++) {
            s.go(() -> {
                pass();
                finished.incrementAndGet();
                wg.done();
            });
        }
        s.go(() -> assertEquals(WaitReason.SYNC_WAITGROUP_WAIT, waiter.waitReason()));
        s.runUntilIdle();
        assertEquals(List.of("waited"), trace);
        assertEquals(0, wg.count());
        wg.await(); // zero: returns at once
    }

    @Test
    void waitGroupBelowZeroThrows() {
        WaitGroup wg = new WaitGroup();
        IllegalStateException e = assertThrows(IllegalStateException.class, wg::done);
        assertEquals("sync: negative WaitGroup counter", e.getMessage());
        wg.add(2);
        assertThrows(IllegalStateException.class, () -> wg.add(-3));
        assertEquals(2, wg.count()); // unchanged
    }

    @Test
    void waitGroupAwaitFromPlainThread() throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        AtomicBoolean returned = new AtomicBoolean();
        Thread t = new Thread(() -> {
            wg.await();
            returned.set(true);
        });
        t.start();
        while (!t.getState().equals(Thread.State.WAITING)) {
            Thread.onSpinWait();
        }
        assertFalse(returned.get());
        s.go(wg::done);
        s.runUntilIdle();
        t.join(10_000);
        assertTrue(returned.get());
    }

    // ---- Once -----------------------------------------------------------------------------

    @Test
    void onceRunsOnceAndOthersWait() {
        Once once = new Once();
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < 4; i++) {
            s.go(() -> {
                once.run(() -> {
                    pass(); // the others arrive meanwhile and wait on the mutex
                    runs.incrementAndGet();
                });
                assertEquals(1, runs.get()); // nobody returns before the action finished
            });
        }
        s.runUntilIdle();
        assertEquals(1, runs.get());
        assertTrue(once.isDone());
        assertTrue(s.alive().isEmpty());
    }

    @Test
    void onceCountsAThrowingActionAsDone() {
        Once once = new Once();
        assertThrows(IllegalStateException.class, () -> once.run(() -> {
            throw new IllegalStateException("boom");
        }));
        assertTrue(once.isDone());
        once.run(() -> {
            throw new AssertionError("must not run");
        });
    }

    // ---- Cond -----------------------------------------------------------------------------

    @Test
    void condSignalWakesOneInOrderAndBroadcastWakesAll() {
        Mutex m = new Mutex();
        Cond cond = new Cond(m);
        int[] tokens = {0};
        for (int i = 0; i < 3; i++) {
            String name = "w" + i;
            s.go(name, () -> {
                m.lock();
                while (tokens[0] == 0) {
                    cond.await();
                }
                tokens[0]--;
                trace.add(name);
                m.unlock();
            });
        }
        s.runUntilIdle();
        assertEquals(3, s.parked().size());
        assertEquals(WaitReason.SYNC_COND_WAIT, s.parked().get(0).waitReason());
        s.go(() -> {
            m.lock();
            tokens[0] = 1;
            cond.signal();
            m.unlock();
        });
        s.runUntilIdle();
        assertEquals(List.of("w0"), trace);
        s.go(() -> {
            m.lock();
            tokens[0] = 2;
            cond.broadcast();
            m.unlock();
        });
        s.runUntilIdle();
        assertEquals(List.of("w0", "w1", "w2"), trace);
        assertTrue(s.alive().isEmpty());
    }

    @Test
    void condSignalWithoutWaitersIsANoop() {
        Cond cond = new Cond(new Mutex());
        cond.signal();
        cond.broadcast();
    }

    // ---- Semaphore ------------------------------------------------------------------------

    @Test
    void semaphoreIsFifoAndWeighted() {
        Semaphore sem = new Semaphore(3);
        assertTrue(sem.tryAcquire(2));
        s.go("big", () -> {
            sem.acquire(3); // waits for all three
            trace.add("big");
            sem.release(3);
        });
        s.go("small", () -> {
            sem.acquire(1); // one is free, but "big" queued first: FIFO
            trace.add("small");
            sem.release(1);
        });
        s.runUntilIdle();
        assertEquals(2, s.parked().size());
        assertEquals(WaitReason.SEMAPHORE_ACQUIRE, s.parked().get(0).waitReason());
        assertFalse(sem.tryAcquire(1)); // waiters queued: no overtaking
        sem.release(2);
        s.runUntilIdle();
        assertEquals(List.of("big", "small"), trace);
        assertEquals(3, sem.available());
    }

    @Test
    void semaphoreMisuse() {
        Semaphore sem = new Semaphore(2);
        assertThrows(IllegalStateException.class, sem::release);
        assertThrows(IllegalArgumentException.class, () -> sem.acquire(3));
        assertThrows(IllegalArgumentException.class, () -> new Semaphore(-1));
        sem.acquire();
        sem.release();
        assertEquals(2, sem.available());
    }

    // ---- Sema (the runtime semaphore) -----------------------------------------------------

    @Test
    void semaHandoffGivesTheUnitToTheWaiterAndYields() {
        Sema sema = new Sema(0);
        s.go("waiter", () -> {
            sema.acquire(false, WaitReason.SEMACQUIRE);
            trace.add("waiter got it");
        });
        s.go("releaser", () -> {
            sema.release(true); // handoff: the waiter runs now, on our time slice
            trace.add("releaser continues");
            assertFalse(sema.tryAcquire()); // the unit went to the waiter
        });
        s.go("bystander", () -> trace.add("bystander"));
        s.runUntilIdle();
        assertEquals(List.of("waiter got it", "bystander", "releaser continues"), trace);
        assertEquals(0, sema.available());
        assertEquals(0, sema.waiters());
    }

    @Test
    void semaLifoQueuesAtTheFront() {
        Sema sema = new Sema(0);
        s.go("a", () -> {
            sema.acquire(false, WaitReason.SEMACQUIRE);
            trace.add("a");
        });
        s.go("b", () -> {
            sema.acquire(true, WaitReason.SEMACQUIRE);
            trace.add("b");
        });
        s.runUntilIdle();
        sema.release(false);
        s.runUntilIdle();
        sema.release(false);
        s.runUntilIdle();
        assertEquals(List.of("b", "a"), trace);
    }
}
