package io.goloom.scheduler;

import java.util.concurrent.TimeUnit;

/**
 * The scheduler's invariant check in tests (Go's {@code throw} discipline): with
 * {@code -Dgoloom.test=true} (every surefire run of the scheduler module) or
 * {@code -Dgoloom.randomize=true}, {@link GoRuntime#close} checks the scheduler before and after
 * it stops it, so every test that closes a runtime, and every stress round that does, is checked.
 * A broken invariant fails the test with an AssertionError and a dump of the state
 * ({@link Scheduler#checkInvariants}). Off in production: the call sites are guarded by the
 * constant {@link SchedChaos#ON}.
 *
 * <ol>
 *   <li>Before stopping: the locked checks (global queue vs runqsize, the idle P and M lists,
 *       M accounting), and no stranded G: if every P is idle and nobody spins while the global
 *       queue holds Gs, a wake-up was lost, unless a submitter is between its put and its
 *       wakep; that window is microseconds, so the state must clear within {@link #STRANDED_MS}.</li>
 *   <li>After stopping, once every M and sysmon have exited (nothing moves any more): the full
 *       walk, no G on two queues, every P idle-listed or dead, every M gone. A runtime left
 *       with a goroutine that never yields keeps that M alive; then only the locked checks run.</li>
 * </ol>
 */
final class SchedInvariants {

    private SchedInvariants() {
    }

    /** How long "all Ps idle, nobody spinning, Gs queued" may last before it counts as a lost wake-up. */
    static final long STRANDED_MS = 2_000;
    /** How long to wait for Ms that are leaving to exit before the stopped-runtime walk. */
    static final long EXIT_MS = 2_000;

    /** The check before close stops the runtime. Returns the failure (close stops the runtime first, then throws it). */
    static AssertionError beforeClose(Scheduler s) {
        try {
            s.checkInvariants(false);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STRANDED_MS);
            while (stranded(s)) {
                if (System.nanoTime() - deadline > 0) {
                    s.checkInvariants(false);
                    return new AssertionError("goloom: " + s.globalQueueSize() + " G(s) stranded on the global queue of runtime "
                            + s.name + " for " + STRANDED_MS + " ms: every P is idle and no M spins (a lost wake-up)");
                }
                Thread.onSpinWait();
                Thread.yield();
            }
            return null;
        } catch (AssertionError e) {
            return e;
        }
    }

    private static boolean stranded(Scheduler s) {
        return !s.stopping && s.globalQueueSize() != 0 && s.npidle() == s.gomaxprocs && s.nmspinning.get() == 0;
    }

    /**
     * The check after close stopped the runtime; throws {@code before} (the result of
     * {@link #beforeClose}) if that failed, else whatever this check finds.
     */
    static void afterShutdown(Scheduler s, AssertionError before) {
        if (before != null) {
            throw before;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXIT_MS);
        boolean stopped = s.currentM() == null; // closed from one of its own Ms: that M cannot have exited
        try {
            for (Thread t : stopped ? threads(s) : java.util.List.<Thread>of()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
                    stopped = false; // a G that never yields keeps its M: only the locked checks apply
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        s.checkInvariants(stopped);
    }

    private static java.util.List<Thread> threads(Scheduler s) {
        java.util.List<Thread> ts = new java.util.ArrayList<>(s.allm());
        ts.add(s.sysmon);
        return ts;
    }
}
