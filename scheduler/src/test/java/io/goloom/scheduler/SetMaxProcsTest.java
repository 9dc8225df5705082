package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.goloom.core.Chan;
import io.goloom.testkit.Await;
import io.goloom.testkit.Stress;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.MBeanServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GoRuntime.setMaxProcs (Go's runtime.GOMAXPROCS, procresize): Ps added and retired while
 * goroutines run, park, sleep and steal. Every goroutine accepted runs exactly once, every timer
 * armed on a retired P fires once, the counts seen by metrics and the MXBean follow, and the
 * invariant check at every close (test mode) passes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SetMaxProcsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void badValuesAreRefusedAndNothingChanges() {
        try (GoRuntime rt = GoRuntime.create(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rt.setMaxProcs(0));
            assertTrue(e.getMessage().contains("at least 1") && e.getMessage().contains("procs()"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> rt.setMaxProcs(-3));
            assertEquals(2, rt.procs());
            assertEquals(2, rt.setMaxProcs(2)); // no change: returns the value
        }
        try (GoRuntime rt = GoRuntime.builder().procs(1).maxThreads(3).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rt.setMaxProcs(4));
            assertTrue(e.getMessage().contains("maxThreads"), e.getMessage());
            assertEquals(1, rt.setMaxProcs(3));
            assertTrue(rt.dump().contains("P0 "), rt.dump());
            assertEquals(3, rt.setMaxProcs(1));
            // P1 and P2 stop at once if idle-listed, or when the M that startm handed one to
            // takes it (its findRunnable retires it).
            Await.awaitCondition("P1 and P2 stopped", WAIT, () -> stoppedPs(rt) == 2);
            String dump = rt.dump();
            assertTrue(dump.contains("P1 stopped") && dump.contains("P2 stopped"), "a dump shows retired Ps as stopped: " + dump);
        }
        GoRuntime closed = GoRuntime.create(1);
        closed.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> closed.setMaxProcs(2));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /**
     * The acceptance run: GOMAXPROCS 2 -> 8 -> 1 -> 4 under a million goroutines, each
     * counted in its own slot. Four phases of a quarter each, spawned as a binary tree (so run
     * queues overflow and thieves steal); one goroutine in 64 parks on its phase's gate channel
     * and one in 256 sleeps 1 ms (a timer on whatever P it ran on). The resize of a phase lands
     * when half of it has run, and the gate opens only after it: so parked goroutines wake, and
     * sleeping ones' timers fire, after their P may have been retired.
     */
    @Test
    void resizeUnderAMillionGoroutinesLosesNothingAndRunsNothingTwice() throws Exception {
        int n = 1_000_000 * Stress.FACTOR;
        int phases = 4;
        int q = n / phases;
        int[] procsAfter = {8, 1, 4, 4};
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        AtomicInteger[] ran = new AtomicInteger[phases];
        @SuppressWarnings("unchecked")
        Chan<Boolean>[] gates = new Chan[phases];
        for (int k = 0; k < phases; k++) {
            ran[k] = new AtomicInteger();
            gates[k] = new Chan<>();
        }
        CountDownLatch done = new CountDownLatch(n);
        try (GoRuntime rt = GoRuntime.create(2)) {
            int procs = 2;
            for (int k = 0; k < phases; k++) {
                int phase = k;
                rt.go(() -> treeNode(phase * q, 0, q, runs, ran[phase], gates[phase], done));
                Await.awaitCondition("phase " + k + " half run", WAIT, () -> ran[phase].get() >= q / 2);
                assertEquals(procs, rt.setMaxProcs(procsAfter[k]), "setMaxProcs returns the previous GOMAXPROCS");
                procs = procsAfter[k];
                assertFollows(rt, procs);
                int gated = q / 64; // j = 63, 127, ... below q
                Await.awaitCondition("phase " + k + " run up to its gate", WAIT, () -> ran[phase].get() >= q - gated);
                gates[k].close();
            }
            if (!done.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                int missing = 0;
                for (int i = 0; i < n; i++) {
                    missing += runs.get(i) == 0 ? 1 : 0;
                }
                fail(missing + " goroutine(s) of " + n + " never ran (lost): " + state(rt));
            }
            for (int i = 0; i < n; i++) {
                if (runs.get(i) != 1) {
                    fail("goroutine " + i + " ran " + runs.get(i) + " times");
                }
            }
            Await.awaitCondition("retired Ps stopped", WAIT, () -> stoppedPs(rt) == rt.sched.allp.length - 4);
            System.out.println("resize under " + n + " goroutines: " + rt.sched.retiredPGs.get()
                    + " G(s) moved from retired Ps' run queues to the global queue");
        }
    }

    /** Node j of a phase's binary tree: spawns its children, then counts itself (maybe after its gate or a sleep). */
    private static void treeNode(int base, int j, int size, AtomicIntegerArray runs, AtomicInteger ran, Chan<Boolean> gate,
            CountDownLatch done) {
        for (int c = 2 * j + 1; c <= 2 * j + 2 && c < size; c++) {
            int child = c;
            Go.go(() -> treeNode(base, child, size, runs, ran, gate, done));
        }
        if ((j & 63) == 63) {
            gate.receiveOk(); // closed by the test after the resize: a wake-up into any P
        } else {
            if ((j & 255) == 1) {
                Go.sleep(Duration.ofMillis(1)); // a timer on this P, which may be retired meanwhile
            }
            ran.incrementAndGet();
        }
        runs.incrementAndGet(base + j);
        done.countDown();
    }

    /** procs(), the /sched/gomaxprocs metric and the MXBean's Parallelism all say {@code procs}. */
    private static void assertFollows(GoRuntime rt, int procs) throws Exception {
        assertEquals(procs, rt.procs());
        assertEquals(procs, rt.metrics().get(Metrics.GOMAXPROCS));
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        assertEquals(procs, server.getAttribute(rt.mxBeanName(), "Parallelism"));
    }

    /** The scheduler's lists and Ps, for a failure message (a full dump of a million goroutines would not help). */
    private static String state(GoRuntime rt) {
        Scheduler s = rt.sched;
        StringBuilder sb = new StringBuilder("gomaxprocs=" + s.gomaxprocs + " npidle=" + s.npidle() + " nretiring=" + s.nretiring
                + " nmspinning=" + s.nmspinning.get() + " runqsize=" + s.globalQueueSize() + " threads=" + s.threadCount());
        for (P p : s.allp) {
            sb.append("\n  ").append(p).append(" m=").append(p.m == null ? "nil" : "m" + p.m.id);
        }
        return sb.toString();
    }

    private static int stoppedPs(GoRuntime rt) {
        int k = 0;
        for (P p : rt.sched.allp) {
            k += p.state() == P.PSTOPPED ? 1 : 0;
        }
        return k;
    }

    /**
     * Timers armed on Ps that are then retired still fire, each once, while the one P left
     * never goes idle (a goroutine yields in a loop on it): so neither a thief's pass nor the
     * timer sleeper runs them; the active P that adopted them does (findRunnable).
     */
    @Test
    void timersOnRetiredPsFireWhileTheLastPIsBusy() throws Exception {
        try (GoRuntime rt = GoRuntime.create(4)) {
            // Arm timers on every P: each round, 4 goroutines spin at a barrier until all 4 run at
            // once (a spinning goroutine keeps its P: no yield point), so they hold the 4 Ps, and
            // each arms a timer there. (Before: 64 rounds of 256 quick goroutines, hoping idle Ps
            // would steal some; on a loaded machine P0 ran them all.)
            int perRound = 4;
            AtomicInteger armed = new AtomicInteger();
            AtomicIntegerArray fired = new AtomicIntegerArray(perRound * 64);
            for (int round = 0; round < 64 && !timersOnEveryPButP0(rt); round++) {
                CountDownLatch round0 = new CountDownLatch(perRound);
                AtomicInteger atBarrier = new AtomicInteger();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                for (int i = 0; i < perRound; i++) {
                    rt.go(() -> {
                        atBarrier.incrementAndGet();
                        while (atBarrier.get() < perRound && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                        int id = armed.getAndIncrement();
                        Go.afterFunc(Duration.ofMillis(100), () -> fired.incrementAndGet(id));
                        round0.countDown();
                    });
                }
                assertTrue(round0.await(60, TimeUnit.SECONDS));
            }
            assertTrue(timersOnEveryPButP0(rt), "could not get a timer armed on every P");
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch hogDone = new CountDownLatch(1);
            assertEquals(4, rt.setMaxProcs(1));
            rt.go(() -> {
                while (!stop.get()) {
                    Go.yield(); // the only P always has a runnable G: its M never idles or steals
                }
                hogDone.countDown();
            });
            Await.awaitCondition("P1..P3 stopped", WAIT, () -> stoppedPs(rt) == 3);
            int total = armed.get();
            Await.awaitCondition("every timer armed on a retired P fired", WAIT, () -> {
                for (int i = 0; i < total; i++) {
                    if (fired.get(i) == 0) {
                        return false;
                    }
                }
                return true;
            });
            stop.set(true);
            assertTrue(hogDone.await(30, TimeUnit.SECONDS));
            for (int i = 0; i < total; i++) {
                assertEquals(1, fired.get(i), "timer " + i + " fired " + fired.get(i) + " times");
            }
            // Growing again makes them active Ps with their own (now empty) queues.
            assertEquals(1, rt.setMaxProcs(4));
            assertEquals(0, stoppedPs(rt));
        }
    }

    /**
     * A goroutine blocked in Go.blocking while its P is retired: sysmon hands the P off (it stops
     * in pidleput instead of going idle), and when the call returns the M finds its P gone
     * (exitsyscall's CAS fails), takes P0 or queues the G globally (lostP), and the goroutine
     * goes on: it starts a child, which runs. The invariant check at close covers the lists.
     */
    @Test
    void anMBlockedInACallComesBackAfterItsPWasRetired() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch after = new CountDownLatch(1);
            AtomicBoolean found = new AtomicBoolean();
            for (int attempt = 0; attempt < 1000 && !found.get(); attempt++) {
                CountDownLatch tried = new CountDownLatch(1);
                rt.go(() -> {
                    M m = rt.sched.currentM();
                    if (m.p.id != 1 || !found.compareAndSet(false, true)) {
                        tried.countDown();
                        return; // not on P1: try again
                    }
                    tried.countDown();
                    try {
                        Go.blocking(() -> {
                            blocked.countDown();
                            release.await(); // in the call while P1 is retired
                            return null;
                        });
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    Go.go(after::countDown); // the goroutine goes on, on whatever P it got back
                });
                assertTrue(tried.await(30, TimeUnit.SECONDS));
            }
            assertTrue(found.get(), "no goroutine ran on P1");
            assertTrue(blocked.await(30, TimeUnit.SECONDS));
            assertEquals(2, rt.setMaxProcs(1));
            // Sysmon hands the P of a long call off (after its grace); pidleput stops it.
            Await.awaitCondition("P1 stopped while its M was blocked", WAIT, () -> stoppedPs(rt) == 1);
            release.countDown();
            assertTrue(after.await(30, TimeUnit.SECONDS), "the goroutine came back from its call and went on: " + state(rt));
            assertEquals(1, rt.procs());
            assertEquals(P.PSTOPPED, rt.sched.allp[1].state());
        }
    }

    private static boolean timersOnEveryPButP0(GoRuntime rt) {
        P[] ps = rt.sched.allp;
        for (int i = 1; i < ps.length; i++) {
            if (ps[i].timers.earliestHint() == io.goloom.timers.TimerQueue.NONE) {
                return false;
            }
        }
        return true;
    }

    /**
     * Resizes racing spawning, stealing, parking, sleeping and blocking calls: a controller
     * goroutine and the test thread both set random GOMAXPROCS values (1 to 8, so new Ps are
     * built, retired, made active again), while workers spawn trees, ping-pong on channels,
     * sleep, and sit in Go.blocking. Every spawned goroutine counts once.
     */
    @Test
    void resizesRacingSpawnStealParkAndBlock() throws Exception {
        int rounds = 6 * Stress.FACTOR;
        SplittableRandom rnd = new SplittableRandom(17);
        for (int round = 0; round < rounds; round++) {
            int start = 1 + rnd.nextInt(4);
            try (GoRuntime rt = GoRuntime.create(start)) {
                int trees = 16;
                int size = 4096;
                int n = trees * size;
                AtomicIntegerArray runs = new AtomicIntegerArray(n);
                AtomicLong pings = new AtomicLong();
                CountDownLatch done = new CountDownLatch(n + 8);
                AtomicBoolean stop = new AtomicBoolean();
                long seed = rnd.nextLong();
                // The controller: resizes from inside the runtime too (its own P may be retired).
                io.goloom.core.G controller = rt.go(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    while (!stop.get()) {
                        rt.setMaxProcs(1 + r.nextInt(8));
                        for (int i = 0; i < 50; i++) {
                            Go.yield();
                        }
                    }
                });
                for (int p = 0; p < 4; p++) {
                    Chan<Integer> a = new Chan<>(), b = new Chan<>(1);
                    rt.go(() -> {
                        for (int i = 0; i < 2000; i++) {
                            a.send(i);
                            b.receive();
                        }
                        done.countDown();
                    });
                    rt.go(() -> {
                        for (int i = 0; i < 2000; i++) {
                            a.receive();
                            pings.incrementAndGet();
                            b.send(i);
                        }
                        done.countDown();
                    });
                }
                for (int t = 0; t < trees; t++) {
                    int base = t * size;
                    rt.go(() -> stressNode(base, 0, size, runs, done));
                    if ((t & 3) == 3) {
                        rt.setMaxProcs(1 + rnd.nextInt(8));
                    }
                }
                if (!done.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    fail("round " + round + ": " + done.getCount() + " goroutine(s) never finished: " + state(rt));
                }
                stop.set(true);
                Await.awaitCondition("controller ends", WAIT, () -> controller.status() == io.goloom.core.G.DEAD);
                for (int i = 0; i < n; i++) {
                    if (runs.get(i) != 1) {
                        fail("round " + round + ": goroutine " + i + " ran " + runs.get(i) + " times");
                    }
                }
                assertEquals(4 * 2000, pings.get());
            }
        }
    }

    private static void stressNode(int base, int j, int size, AtomicIntegerArray runs, CountDownLatch done) {
        for (int c = 2 * j + 1; c <= 2 * j + 2 && c < size; c++) {
            int child = c;
            Go.go(() -> stressNode(base, child, size, runs, done));
        }
        switch (j & 31) {
            case 7 -> Go.sleep(Duration.ofMillis(1));
            case 11 -> Go.blocking(() -> Thread.onSpinWait());
            case 13 -> Go.gosched();
            default -> { }
        }
        runs.incrementAndGet(base + j);
        done.countDown();
    }
}
