package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitCondition;
import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.G;
import io.goloom.testkit.Stress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The G/M/P scheduler end to end, at GOMAXPROCS 1, 2 and 4. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SchedulerTest {

    static final int STRESS = Stress.FACTOR;

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void aMillionGoroutinesFromSeveralSpawnersEachRunExactlyOnce(int procs) throws Exception {
        int spawners = 4;
        int perSpawner = 250_000 * STRESS;
        int total = spawners * perSpawner;
        AtomicIntegerArray ran = new AtomicIntegerArray(total);
        AtomicInteger finished = new AtomicInteger();
        try (GoRuntime rt = GoRuntime.create(procs)) {
            rt.run(() -> {
                G main = Go.current();
                for (int s = 0; s < spawners; s++) {
                    int base = s * perSpawner;
                    Go.go(() -> {
                        for (int i = 0; i < perSpawner; i++) {
                            int slot = base + i;
                            Go.go(() -> {
                                ran.incrementAndGet(slot);
                                if (finished.incrementAndGet() == total) {
                                    Go.unpark(main);
                                }
                            });
                        }
                    });
                }
                Go.park();
            });
            for (int i = 0; i < total; i++) {
                if (ran.get(i) != 1) {
                    fail("goroutine " + i + " ran " + ran.get(i) + " times");
                }
            }
            awaitCondition("all goroutines to exit", 30_000, () -> rt.numGoroutine() == 0);
        }
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void pingPongThroughParkAndReadyLosesNoWakeup(int procs) throws Exception {
        int rounds = 1_000_000 * STRESS;
        try (GoRuntime rt = GoRuntime.create(procs)) {
            AtomicLong turn = new AtomicLong(); // even: ping's turn, odd: pong's
            G[] players = new G[2];
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(2);
            for (int side = 0; side < 2; side++) {
                int me = side;
                players[side] = rt.go(() -> {
                    try {
                        started.await();
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                    for (int r = 0; r < rounds; r++) {
                        while ((turn.get() & 1) != me) {
                            Go.park(); // the permit makes a wake before the park count
                        }
                        turn.incrementAndGet();
                        Go.unpark(players[1 - me]);
                    }
                    done.countDown();
                });
            }
            started.countDown();
            assertTrue(done.await(100, TimeUnit.SECONDS), "ping-pong stalled at turn " + turn.get() + ": a lost wake-up");
            assertEquals(2L * rounds, turn.get());
        }
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {2, 4})
    void aPWithThousandsOfQueuedGsIsHelpedByOtherMs(int procs) throws Exception {
        int n = 5_000;
        Set<String> ranOn = ConcurrentHashMap.newKeySet();
        AtomicInteger finished = new AtomicInteger();
        try (GoRuntime rt = GoRuntime.create(procs)) {
            rt.run(() -> {
                G main = Go.current();
                // All spawned from one G: they all land on its P first.
                for (int i = 0; i < n; i++) {
                    Go.go(() -> {
                        ranOn.add(Thread.currentThread().getName());
                        long until = System.nanoTime() + 20_000; // ~20 µs of work each
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        if (finished.incrementAndGet() == n) {
                            Go.unpark(main);
                        }
                    });
                }
                Go.park();
            });
        }
        assertEquals(n, finished.get());
        assertTrue(ranOn.size() >= 2, "all " + n + " Gs ran on one M (" + ranOn + "): no stealing happened");
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void anIdleRuntimeHasAllItsMsParked(int procs) throws Exception {
        try (GoRuntime rt = GoRuntime.create(procs)) {
            CountDownLatch done = new CountDownLatch(1000);
            for (int i = 0; i < 1000; i++) {
                rt.go(() -> {
                    Go.yield();
                    done.countDown();
                });
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            List<M> ms = rt.sched.allm();
            assertFalse(ms.isEmpty());
            assertTrue(ms.size() <= procs + 1, "more Ms than needed: " + ms.size());
            awaitCondition("every M parked", 30_000, () -> ms.stream().allMatch(
                    m -> m.getState() == Thread.State.WAITING) && rt.sched.nmidle() == ms.size());
            assertEquals(procs, rt.sched.npidle(), "every P idle");
            assertEquals(0, rt.sched.nmspinning.get());
            // and it wakes up again
            CountDownLatch again = new CountDownLatch(1);
            rt.go(again::countDown);
            assertTrue(again.await(30, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void anExceptionInAGoroutineIsReportedAndTheRuntimeKeepsRunning(int procs) throws Exception {
        List<String> reports = new CopyOnWriteArrayList<>();
        try (GoRuntime rt = GoRuntime.builder().procs(procs).panicHandler(
                (g, t) -> reports.add(G.panicReport(g, t))).build()) {
            CountDownLatch after = new CountDownLatch(100);
            for (int i = 0; i < 100; i++) {
                int k = i;
                rt.go(() -> {
                    if (k % 2 == 0) {
                        throw new IllegalStateException("boom " + k);
                    }
                    after.countDown();
                });
            }
            for (int i = 0; i < 50; i++) {
                rt.go(after::countDown);
            }
            assertTrue(after.await(30, TimeUnit.SECONDS), "the runtime stopped running goroutines after panics");
            awaitCondition("50 panic reports", 30_000, () -> reports.size() == 50);
            String r = reports.get(0);
            assertTrue(r.startsWith("panic: java.lang.IllegalStateException: boom"), r);
            assertTrue(r.matches("(?s).*goroutine \\d+ \\[running\\]:\n\t.*SchedulerTest.*"), r);
            assertFalse(r.contains("io.goloom.scheduler.Scheduler.") || r.contains("jdk.internal.vm"), "report shows scheduler frames:\n" + r);
        }
    }

    @Test
    void closeWithLiveGoroutinesReturnsAndNamesThem() throws Exception {
        GoRuntime rt = GoRuntime.create(2);
        CountDownLatch parked = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            rt.go("sleeper-" + i, () -> {
                parked.countDown();
                Go.park(); // nobody will unpark
            });
        }
        assertTrue(parked.await(30, TimeUnit.SECONDS));
        awaitCondition("three parked goroutines", 30_000, () -> rt.goroutines().stream()
                .filter(gi -> gi.state().equals("waiting")).count() == 3);
        List<GoroutineInfo> alive = rt.shutdown();
        assertEquals(3, alive.size(), alive.toString());
        for (GoroutineInfo gi : alive) {
            assertTrue(gi.name().startsWith("sleeper-"), gi.toString());
            assertEquals("waiting", gi.state());
            assertEquals("park", gi.waitReason());
            assertTrue(gi.stack().stream().anyMatch(e -> e.getClassName().equals(SchedulerTest.class.getName())),
                    "no stack for " + gi);
        }
        assertTrue(rt.isClosed());
        assertThrows(RejectedExecutionException.class, () -> rt.go(() -> { }));
        assertTrue(rt.shutdown().size() == 3, "shutdown is idempotent");
        for (M m : rt.sched.allm()) {
            m.join(10_000);
            assertFalse(m.isAlive(), m.getName() + " still running after close");
        }
    }

    @Test
    void goroutineOnlyOperationsFromAPlainThreadThrowClearly() {
        IllegalStateException e = assertThrows(IllegalStateException.class, Go::yield);
        assertTrue(e.getMessage().contains("must be called from a goroutine"), e.getMessage());
        assertThrows(IllegalStateException.class, Go::gosched);
        assertThrows(IllegalStateException.class, Go::park);
        assertThrows(IllegalStateException.class, Go::id);
        Go.checkpoint(); // a no-op outside goroutines, by design (the agent calls it everywhere)
    }

    @Test
    void runFromInsideAGoroutineIsRefusedAndMainsExceptionIsRethrown() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            AtomicInteger refused = new AtomicInteger();
            rt.run(() -> {
                try {
                    rt.run(() -> { });
                } catch (IllegalStateException | InterruptedException expected) {
                    refused.incrementAndGet();
                }
            });
            assertEquals(1, refused.get());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> rt.run(() -> { throw new IllegalArgumentException("from main"); }));
            assertEquals("from main", e.getMessage());
        }
    }

    @Test
    void badProcsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GoRuntime.create(0));
        assertThrows(IllegalArgumentException.class, () -> GoRuntime.builder().procs(-1));
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void yieldAndGoschedLetOthersRunAndEveryGFinishes(int procs) throws Exception {
        int gs = 50;
        int iters = 2_000;
        try (GoRuntime rt = GoRuntime.create(procs)) {
            CountDownLatch done = new CountDownLatch(gs);
            AtomicLong switches = new AtomicLong();
            for (int i = 0; i < gs; i++) {
                int k = i;
                rt.go(() -> {
                    for (int j = 0; j < iters; j++) {
                        if ((j + k) % 3 == 0) {
                            Go.gosched();
                        } else {
                            Go.yield();
                        }
                        switches.incrementAndGet();
                    }
                    done.countDown();
                });
            }
            assertTrue(done.await(60, TimeUnit.SECONDS));
            assertEquals((long) gs * iters, switches.get());
        }
    }

    @Test
    void unparkBeforeParkIsRemembered() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                G self = Go.current();
                Go.unpark(self);
                Go.unpark(self); // permits do not accumulate
                Go.park();       // consumes the permit, returns at once
                assertEquals(G.RUNNING, self.status());
            });
        }
    }

    @Test
    void severalRuntimesCoexist() throws Exception {
        try (GoRuntime a = GoRuntime.builder().procs(1).name("rt-a").build();
             GoRuntime b = GoRuntime.builder().procs(2).name("rt-b").build()) {
            CountDownLatch done = new CountDownLatch(2);
            String[] where = new String[2];
            a.go(() -> {
                where[0] = Thread.currentThread().getName();
                // a goroutine of runtime a starting one on runtime b
                b.go(() -> {
                    where[1] = Thread.currentThread().getName();
                    done.countDown();
                });
                done.countDown();
            });
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertTrue(where[0].startsWith("rt-a-m"), where[0]);
            assertTrue(where[1].startsWith("rt-b-m"), where[1]);
        }
    }
}
