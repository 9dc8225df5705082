package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Test-only scheduler modes, off in production (after Go's {@code randomizeScheduler}, which
 * proc.go turns on under the race detector).
 *
 * <h2>Zero cost when off</h2>
 * Every call site in the scheduler is one line guarded by {@code if (SchedChaos.ON ...)}, and
 * {@link #ON} is a {@code static final boolean} read once from system properties at class
 * initialisation. The JIT folds a static final constant, so with the properties unset the guarded
 * code is dead and compiled away: no load, no branch, no allocation on any path.
 *
 * <h2>The two properties</h2>
 * <ul>
 *   <li>{@code -Dgoloom.randomize=true}: <b>randomised scheduling</b>. Only choices the scheduler
 *       may legally make either way are changed, so every correct program still runs correctly;
 *       what changes is which legal schedule it gets, to shake out code that depends on one:
 *       <ul>
 *         <li>runqput skips runnext half the time (Go: {@code randn(2) == 0}); the G goes to the
 *             ring tail, and the put counts as displacing work so the caller wakes an M;</li>
 *         <li>an overflow batch headed for the global queue is shuffled (Go's runqputslow);</li>
 *         <li>a readied G that was a hand-off wakes a spinning M anyway (eager wake-ups), and
 *             findRunnable sometimes spins past the "half the busy Ps" bound;</li>
 *         <li>findRunnable sometimes steals from other Ps before looking at its own queue, and
 *             takes a global batch out of turn (steals and fairness checks at random points);</li>
 *         <li>at the protocol points of {@link #at} the thread sometimes spins a while, which
 *             widens the windows between the two halves of each Dekker pair.</li>
 *       </ul>
 *   </li>
 *   <li>{@code -Dgoloom.test=true}: <b>test hooks</b> ({@link #at} calls an installed
 *       {@link Hook}, so a test can stop a thread between the two accesses of a Dekker pair and
 *       force an interleaving), and the scheduler's invariant check ({@link SchedInvariants})
 *       when a runtime closes. The scheduler module's surefire runs set it.</li>
 * </ul>
 */
final class SchedChaos {

    private SchedChaos() {
    }

    /** Randomised scheduling (see the class comment). Constant: the JIT drops the call sites when false. */
    static final boolean RANDOMIZE = Boolean.getBoolean("goloom.randomize");
    /** Any test-only behaviour at all: test hooks, invariant checks, or randomised scheduling. */
    static final boolean ON = RANDOMIZE || Boolean.getBoolean("goloom.test");

    // ---- protocol points (the argument of at) ----
    /** findRunnable, idle dance: nmspinning was just decremented; the re-check of every queue follows. */
    static final int SPIN_DROPPED = 1;
    /** sleepForTimers: this M was just published as timerSleeper; the re-read of the timer hints follows. */
    static final int TIMER_SLEEPER_SET = 2;
    /** enterRuntime: where was just set to IN_RUNTIME; the read of the P's status (ownsP) follows. */
    static final int WHERE_SET = 3;
    /** sleepForTimers: this M holds the poll token and stored its deadline (sleepUntil); it blocks in the poller next. */
    static final int POLL_BLOCKING = 4;

    /** What a test runs at a protocol point, on the thread that reached it. */
    interface Hook {
        void at(int point, M m);
    }

    /** The installed hook, or null. Tests only; one at a time (surefire runs test classes one by one). */
    static volatile Hook hook;

    /** A protocol point: runs the test hook, and in randomised mode sometimes yields the CPU. */
    static void at(int point, M m) {
        Hook h = hook;
        if (h != null) {
            h.at(point, m);
        }
        if (RANDOMIZE) {
            // Spin, never Thread.yield or park: this may run inside a JDK virtual thread mounted
            // on the M (a direct task), where those would yield or park the virtual thread.
            int spins = ThreadLocalRandom.current().nextInt(64) == 0 ? ThreadLocalRandom.current().nextInt(1_000) : 0;
            for (int i = 0; i < spins; i++) {
                Thread.onSpinWait();
            }
        }
    }

    /** runqput: put this G in the ring instead of runnext (Go: next = false with probability 1/2). */
    static boolean skipRunnext(RunQueue q) {
        if (RANDOMIZE && ThreadLocalRandom.current().nextBoolean()) {
            q.lastPutKicked = true; // the G went to the ring like displaced work: the caller wakes an M
            return true;
        }
        return false;
    }

    /** ready/submitTask: wake a spinning M even for a hand-off into an empty runnext. */
    static boolean wakeEagerly() {
        return RANDOMIZE && ThreadLocalRandom.current().nextInt(4) == 0;
    }

    /** findRunnable: spin even above the "half the busy Ps" bound. */
    static boolean spinAnyway() {
        return RANDOMIZE && ThreadLocalRandom.current().nextInt(4) == 0;
    }

    /** findRunnable: try a steal before the local queue. */
    static boolean stealFirst() {
        return RANDOMIZE && ThreadLocalRandom.current().nextInt(16) == 0;
    }

    /** findRunnable: take from the global queue out of turn (as if schedtick were a multiple of 61). */
    static boolean globalFirst() {
        return RANDOMIZE && ThreadLocalRandom.current().nextInt(16) == 0;
    }

    /**
     * Shuffles a batch of {@code n} Gs linked through schedlink (Go's runqputslow under
     * randomizeScheduler) and returns its new head. Allocates: randomised mode only.
     */
    static G shuffle(G first, int n) {
        if (!RANDOMIZE || n < 2) {
            return first;
        }
        G[] a = new G[n];
        int k = 0;
        for (G x = first; x != null && k < n; x = SchedLinks.schedlink(x)) {
            a[k++] = x;
        }
        if (k != n) {
            throw new IllegalStateException("goloom: shuffle: batch has " + k + " Gs, expected " + n);
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            G t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        for (int i = 0; i < n - 1; i++) {
            SchedLinks.setSchedlink(a[i], a[i + 1]);
        }
        SchedLinks.setSchedlink(a[n - 1], null);
        return a[0];
    }
}
