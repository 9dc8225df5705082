package io.goloom.scheduler;

import static io.goloom.scheduler.MaxThreadsTest.awaitUninterruptibly;
import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.Carrier;
import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import io.goloom.timers.TimerNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BooleanSupplier;
import jdk.internal.vm.Continuation;
import org.junit.jupiter.api.Test;

/**
 * Issue #18's long stress: every fixed race at once, in one runtime per round, for a time
 * budget. Each round runs, concurrently:
 * <ol>
 * <li>one producer goroutine spawning {@value #CHILDREN} children into its own P (overflowing
 * into the global queue, other Ps idle and stealing, as in {@link OverflowStealStressTest});
 * one child in {@value #YIELDING} yields a few times (gosched, through the global queue), the
 * rest return at once so that the thieves stay idle; each marks its slot with getAndIncrement:
 * a slot already 1 means it ran twice, a slot still 0 at the end means it was lost; a child
 * that starts with a schedlink was still on a list (the corruption an early link starts
 * from), and one seen inside twice at once ran on two Ms;</li>
 * <li>a plain thread starting 1 ms tickers and stopping each at a random moment around its
 * fire (right after a tick lands, which is inside the fire, or a random fraction of a period
 * later); no tick may be received after stop() returned and no stopped ticker may stay armed
 * (as in {@link TickerStopRaceTest});</li>
 * <li>goroutines parking pinned ({@code Continuation.pin}, so {@code G.parkPinned} blocks the
 * carrier) on an unbuffered channel, each park readied by a sender goroutine that waits for
 * the parker to be WAITING first (every receive is a real pinned park); the parker must resume
 * on its own carrier (as in {@link PinnedReadyRaceTest});</li>
 * <li>the thread limit: the runtime is built with {@code maxThreads(procs + pinned parkers)}
 * and as many goroutines block in JDK calls (a latch; half of them through {@code Go.blocking}) so that
 * sysmon's hand-offs and wakep need more carriers than the limit (as in
 * {@link MaxThreadsTest}); they are released once the limit was hit, and nothing queued
 * meanwhile may be lost.</li>
 * </ol>
 * Any panic fails the round. After each round: every M alive, no P dead, the runtime still runs
 * goroutines, and close() runs the scheduler invariant check (SchedInvariants, on under
 * surefire's -Dgoloom.test=true). Rounds rotate GOMAXPROCS over {1, 2, 8} and run-queue
 * capacity over {4, 256} until the budget is used: {@code -Dgoloom.stress.seconds=S} (default
 * 6; the 10-minute run is documented in scheduler/README.md). Per-procs totals are printed at
 * the end, one line per procs value.
 */
class SchedStressTest {

    static final int SECONDS = Integer.getInteger("goloom.stress.seconds", 6);
    static final int[] PROCS = {1, 2, 8};
    static final int[] CAPACITIES = {4, 256};
    static final int CHILDREN = 20_000;
    /** One child in this many yields {@value #YIELDS} times; the rest return at once, so the other Ps stay idle and steal. */
    static final int YIELDING = 4;
    static final int YIELDS = 3;
    static final int TICKERS_PER_ROUND = 60;
    static final int PINNED_PAIRS = 3;
    static final int PARKS_PER_PAIR = 40;
    /** Every wait in a round is bounded by this (a hang is a failure, never a silent stall). */
    static final long WAIT_MS = 60_000;

    /** Per-procs totals for the closing note. */
    static final class Totals {
        long rounds, goroutines, tickerStops, stopsDuringFire, pinnedParks, limitHits, roundsAtLimit;
    }

    @Test
    void mixedStressLosesNothingRunsNothingTwiceKillsNoM() {
        // The budget decides the run's length, so the timeout scales with it (a fixed @Timeout
        // could not); a round that hangs is also caught by its own bounded waits.
        Duration timeout = Duration.ofSeconds(SECONDS * 2L + 180);
        Map<Integer, Totals> totals = new TreeMap<>();
        boolean passed = false;
        try {
            assertTimeoutPreemptively(timeout, () -> runRounds(totals),
                    () -> "the stress run did not finish within " + timeout + "; totals so far: " + summary(totals, false));
            passed = true;
        } finally {
            System.out.println(summary(totals, passed) + (passed ? "" : "\n  FAILED (totals of the rounds that passed)"));
        }
        // Every closed runtime's carriers, sysmon and timer threads exit: none is left to load the
        // JVM (or the machine) for the tests that run after this one.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Thread> left;
        while (!(left = leftovers()).isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
            Thread.yield();
        }
        assertEquals(List.of(), left.stream().map(th -> th.getName() + " [" + th.getState() + "] "
                + java.util.Arrays.toString(th.getStackTrace())).toList(), "threads of closed runtimes still alive");
        for (int p : PROCS) {
            Totals t = totals.get(p);
            if (t != null && t.rounds >= 2) {
                assertTrue(t.roundsAtLimit > 0, "procs=" + p + ": the thread limit was never hit in " + t.rounds + " rounds");
            }
        }
    }

    private static List<Thread> leftovers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().startsWith("stress-") && th.isAlive()).toList();
    }

    private static void runRounds(Map<Integer, Totals> totals) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        int round = 0;
        do {
            int procs = PROCS[round % PROCS.length];
            int cap = CAPACITIES[(round / PROCS.length) % CAPACITIES.length];
            Totals t = totals.computeIfAbsent(procs, k -> new Totals());
            oneRound(round, procs, cap, t);
            t.rounds++;
            round++;
        } while (System.nanoTime() - end < 0 || round < PROCS.length); // at least one round per procs value
    }

    static String summary(Map<Integer, Totals> totals, boolean passed) {
        StringBuilder sb = new StringBuilder("SchedStressTest (" + SECONDS + " s budget"
                + (Boolean.getBoolean("goloom.randomize") ? ", randomized scheduling" : "") + "):");
        for (Map.Entry<Integer, Totals> e : totals.entrySet()) {
            Totals t = e.getValue();
            sb.append(String.format("%n  GOMAXPROCS=%d: %d rounds, %d goroutines run, %d ticker stops"
                    + " (%d during a fire), %d pinned parks, %d thread-limit hits (in %d rounds)%s",
                    e.getKey(), t.rounds, t.goroutines, t.tickerStops, t.stopsDuringFire, t.pinnedParks,
                    t.limitHits, t.roundsAtLimit, passed ? "; nothing lost, nothing run twice, no M dead" : ""));
        }
        return sb.toString();
    }

    private static void oneRound(int round, int procs, int cap, Totals totals) throws Exception {
        String where = "round " + round + " (procs=" + procs + ", runq capacity=" + cap + ")";
        ConcurrentLinkedQueue<String> panics = new ConcurrentLinkedQueue<>();
        // Every pinned park holds its carrier until its sender runs: with fewer than procs carriers
        // on top of the pinned ones, the parks alone could take every carrier the limit allows and
        // their senders would never run (a true deadlock, Go's too). The blockers below take them
        // all, but only until the limit was hit, which needs no goroutine to make progress.
        int maxThreads = procs + PINNED_PAIRS;
        GoRuntime rt = GoRuntime.builder().procs(procs).runqCapacity(cap).maxThreads(maxThreads)
                .deadlockDetection(false).name("stress-" + round)
                .panicHandler((g, e) -> panics.add(g + ": " + e)).build();
        AtomicInteger goroutines = new AtomicInteger();
        CountDownLatch gate = new CountDownLatch(1); // releases the blocked goroutines
        Thread tickerThread = null;
        try {
            // (1) the producer and its children
            AtomicIntegerArray slots = new AtomicIntegerArray(CHILDREN);
            AtomicIntegerArray inside = new AtomicIntegerArray(CHILDREN);
            AtomicInteger ranTwice = new AtomicInteger();
            ConcurrentLinkedQueue<String> startedLinked = new ConcurrentLinkedQueue<>();
            CountDownLatch children = new CountDownLatch(CHILDREN);
            CountDownLatch halfSpawned = new CountDownLatch(1);
            rt.go(() -> {
                for (int i = 0; i < CHILDREN; i++) {
                    if (i == CHILDREN / 2) {
                        halfSpawned.countDown();
                    }
                    int slot = i;
                    Go.go(() -> {
                        G me = Go.current();
                        if (SchedLinks.schedlink(me) != null) { // a running G is on no list
                            startedLinked.add("G " + me.id + " started running linked to G " + SchedLinks.schedlink(me).id);
                        }
                        if (inside.getAndIncrement(slot) != 0) {
                            ranTwice.incrementAndGet(); // on two Ms at once
                        }
                        if (slot % YIELDING == 0) {
                            for (int y = 0; y < YIELDS; y++) {
                                Go.yield(); // gosched: through the global queue
                            }
                        }
                        inside.decrementAndGet(slot);
                        if (slots.getAndIncrement(slot) != 0) {
                            ranTwice.incrementAndGet();
                        }
                        goroutines.incrementAndGet();
                        children.countDown();
                    });
                }
                goroutines.incrementAndGet();
            });

            // The first half of the spawns with idle thieves only, the second half with everything:
            // the ticker thread's spin, the pinned pairs' senders and the blockers keep cores and
            // Ps busy and Ms blocked, and the overflow-steal race wants idle thieves on the cores.
            awaitLatch(where + ": the producer spawns half its children", halfSpawned, rt, panics);

            // (2) tickers stopped around their fires, from a plain thread
            int[] tickerStats = new int[2]; // stops, stops during a fire
            List<String> tickerFailures = new ArrayList<>();
            tickerThread = new Thread(() -> stopTickers(rt, tickerStats, tickerFailures), "ticker-stopper");
            tickerThread.start();

            // (3) pinned parks, each readied by another goroutine
            CountDownLatch pinnedDone = new CountDownLatch(2 * PINNED_PAIRS);
            AtomicInteger wrongCarrier = new AtomicInteger();
            AtomicInteger pinnedParks = new AtomicInteger();
            for (int k = 0; k < PINNED_PAIRS; k++) {
                Chan<Integer> ch = new Chan<>();
                G parker = rt.go(() -> {
                    for (int i = 0; i < PARKS_PER_PAIR; i++) {
                        Thread c = Carrier.current();
                        Continuation.pin();
                        try {
                            ch.receive(); // the sender waits for WAITING: always a pinned park
                        } finally {
                            Continuation.unpin();
                        }
                        pinnedParks.incrementAndGet();
                        if (Carrier.current() != c) {
                            wrongCarrier.incrementAndGet();
                        }
                    }
                    goroutines.incrementAndGet();
                    pinnedDone.countDown();
                });
                rt.go(() -> {
                    for (int i = 0; i < PARKS_PER_PAIR; i++) {
                        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
                        while (parker.status() != G.WAITING) {
                            if (System.nanoTime() - deadline > 0) {
                                panics.add("the pinned parker never parked: " + parker);
                                return;
                            }
                            Go.yield();
                        }
                        ch.send(i);
                    }
                    goroutines.incrementAndGet();
                    pinnedDone.countDown();
                });
            }

            // (4) the thread limit: maxThreads goroutines block in JDK calls; once every carrier
            // the limit allows is taken, sysmon's hand-offs and wakep find no M to start.
            int blockers = maxThreads;
            long hitsBefore = rt.threadLimitHits();
            CountDownLatch blocked = new CountDownLatch(blockers);
            CountDownLatch blockersDone = new CountDownLatch(blockers);
            for (int b = 0; b < blockers; b++) {
                boolean viaBlocking = (b & 1) == 0;
                rt.go(() -> {
                    blocked.countDown();
                    if (viaBlocking) {
                        Go.blocking(() -> awaitUninterruptibly(gate));
                    } else {
                        awaitUninterruptibly(gate); // a JDK call sysmon finds blocked
                    }
                    goroutines.incrementAndGet();
                    blockersDone.countDown();
                });
            }
            // Either all blockers are in (every carrier taken) or the limit was already hit on
            // the way (a carrier parked pinned or blocked before the last blocker got one).
            await(where + ": the blockers block or the thread limit is hit",
                    () -> blocked.getCount() == 0 || rt.threadLimitHits() > hitsBefore || !panics.isEmpty());
            // Goroutines started from outside now: wakep needs a carrier beyond the limit.
            int extra = 0;
            CountDownLatch extras = new CountDownLatch(4 * procs);
            long limitDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (rt.threadLimitHits() == hitsBefore && extra < 4 * procs && System.nanoTime() - limitDeadline < 0) {
                extra++;
                rt.go(() -> {
                    goroutines.incrementAndGet();
                    extras.countDown();
                });
                long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                while (rt.threadLimitHits() == hitsBefore && System.nanoTime() - next < 0) {
                    Thread.onSpinWait();
                }
            }
            boolean hit = rt.threadLimitHits() > hitsBefore;
            gate.countDown();
            for (int i = extra; i < 4 * procs; i++) {
                extras.countDown(); // the ones never started
            }

            // Round end: everything ran, exactly once.
            awaitLatch(where + ": children ran (" + (CHILDREN - children.getCount() + "/" + CHILDREN + ")"), children, rt, panics);
            awaitLatch(where + ": pinned parkers and their senders finished", pinnedDone, rt, panics);
            awaitLatch(where + ": the blocked goroutines finished after their release", blockersDone, rt, panics);
            awaitLatch(where + ": goroutines started at the thread limit ran", extras, rt, panics);
            tickerThread.join(WAIT_MS);
            assertFalse(tickerThread.isAlive(), where + ": the ticker thread hung");
            tickerThread = null;

            assertEquals(List.of(), new ArrayList<>(panics), where + ": panics");
            assertEquals(0, ranTwice.get(), where + ": children ran twice or on two Ms at once");
            assertTrue(startedLinked.isEmpty(), where + ": " + startedLinked.size() + " children started running on a list, first: "
                    + startedLinked.stream().limit(3).toList());
            for (int i = 0; i < CHILDREN; i++) {
                assertEquals(1, slots.get(i), where + ": child " + i + " ran " + slots.get(i) + " times");
            }
            assertEquals(0, wrongCarrier.get(), where + ": pinned parks resumed on another carrier");
            synchronized (tickerFailures) {
                assertEquals(List.of(), tickerFailures, where + ": tickers");
            }
            goroutines.addAndGet(assertHealthy(rt, where));

            totals.goroutines += goroutines.get();
            totals.tickerStops += tickerStats[0];
            totals.stopsDuringFire += tickerStats[1];
            totals.pinnedParks += pinnedParks.get();
            totals.limitHits += rt.threadLimitHits();
            totals.roundsAtLimit += hit ? 1 : 0;
        } finally {
            gate.countDown();
            if (tickerThread != null) {
                tickerThread.interrupt();
                tickerThread.join(WAIT_MS);
            }
            rt.close(); // the scheduler invariant check under -Dgoloom.test=true
        }
    }

    /**
     * Starts {@value #TICKERS_PER_ROUND} 1 ms tickers one after the other and stops each at a
     * random moment after its first tick: at once (the tick landed inside fire(), between its
     * send and its re-arm) or after a random fraction of a period. No tick after stop() returned,
     * never left armed. Failures are collected for the round's end.
     */
    private static void stopTickers(GoRuntime rt, int[] stats, List<String> failures) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        List<Ticker> stopped = new ArrayList<>();
        int stops = 0, duringFire = 0;
        try {
            for (int i = 0; i < TICKERS_PER_ROUND && !Thread.currentThread().isInterrupted(); i++) {
                Ticker tk = new Ticker(rt.sched, Duration.ofMillis(1));
                TimerNode n = TickerStopRaceTest.node(tk);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
                while (tk.c().tryReceive() == null) {
                    if (System.nanoTime() - deadline > 0) {
                        record(failures, "ticker " + i + " never ticked: " + n);
                        tk.stop();
                        return;
                    }
                    Thread.onSpinWait();
                }
                if (rnd.nextBoolean()) { // a random moment in the next period (a moment, not a wait)
                    long until = System.nanoTime() + rnd.nextLong(TimeUnit.MILLISECONDS.toNanos(1) + 1);
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                }
                boolean firing = n.isFiring(); // the fire that sent the tick may still be on its way to re-arm
                tk.stop();
                stops++;
                boolean ticked = tk.c().tryReceive() != null;
                if (firing || n.isFiring()) {
                    duringFire++;
                }
                TickerStopRaceTest.awaitNotFiring(n);
                ticked |= tk.c().tryReceive() != null;
                if (n.isPending() || ticked) {
                    record(failures, "ticker " + i + ": " + n + (n.isPending() ? " left armed" : "")
                            + (ticked ? ", tick received after stop() returned" : ""));
                }
                stopped.add(tk);
            }
            for (Ticker tk : stopped) { // milliseconds after their stops
                if (tk.c().tryReceive() != null) {
                    record(failures, "a stopped ticker ticked later: " + TickerStopRaceTest.node(tk));
                }
            }
        } catch (Throwable t) {
            record(failures, "ticker thread: " + t);
        } finally {
            stats[0] = stops;
            stats[1] = duringFire;
        }
    }

    private static void record(List<String> failures, String what) {
        synchronized (failures) {
            failures.add(what);
        }
    }

    /** No M died, no P is dead, and the runtime still runs goroutines. Returns how many it ran. */
    private static int assertHealthy(GoRuntime rt, String where) throws InterruptedException {
        for (M m : rt.sched.allm()) {
            assertTrue(m.isAlive(), where + ": " + m.getName() + " died");
        }
        for (P pp : rt.sched.allp) {
            assertNotEquals(P.PDEAD, pp.state(), where + ": dead P: " + pp);
        }
        int n = rt.procs() * 4;
        CountDownLatch more = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            rt.go(more::countDown);
        }
        assertTrue(more.await(WAIT_MS, TimeUnit.MILLISECONDS), where + ": the runtime stopped running goroutines");
        return n;
    }

    private static void awaitLatch(String what, CountDownLatch l, GoRuntime rt, ConcurrentLinkedQueue<String> panics)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!l.await(100, TimeUnit.MILLISECONDS)) {
            assertTrue(panics.isEmpty(), what + ": panics: " + panics);
            if (System.nanoTime() - deadline > 0) {
                fail("timed out: " + what + "; carriers: "
                        + rt.sched.allm().stream().map(m -> m.getName() + "=" + m.getState() + " running " + m.curg()).toList()
                        + "; Ps: " + java.util.Arrays.toString(rt.sched.allp) + "; " + rt.numGoroutine()
                        + " goroutines alive, thread-limit hits " + rt.threadLimitHits());
            }
        }
    }

    private static void await(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "timed out: " + what);
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
