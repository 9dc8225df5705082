package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.ParkCommit;
import io.goloom.timers.TimerQueue;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The state of one {@link Synctest} bubble: its fake clock, its driver (the thread in
 * {@code Synctest.run}, which advances the clock), the goroutine in {@code Synctest.await}, and
 * the first failure. The bubble is a runtime of its own ({@link Scheduler#bubble} non-null);
 * see {@link Synctest} for why.
 *
 * <h2>The driver's loop (Go's checkdead in faketime mode, and synctest's maybeWakeLocked)</h2>
 * <pre>
 *  loop:
 *    no goroutine left                       -> done (run returns)
 *    durably blocked (below)?
 *      a goroutine waits in await            -> ready it; loop        (Go: Wait returns first)
 *      a timer is pending                    -> clock := its deadline (if later than now),
 *                                               run every P's expired timers; loop
 *      else                                  -> deadlock: the report
 *    park until a kick (or BACKSTOP_NS)
 * </pre>
 * "Durably blocked" is {@link Deadlock#idle(boolean)} (every P idle, the global queue empty,
 * every M in the scheduler or blocked in a pinned park whose P sysmon handed off: none in
 * goroutine code or in {@code Go.blocking}, nobody on the network poller, no virtual thread),
 * then every goroutine WAITING, then idle again. A
 * goroutine can only be readied by something running: a goroutine (then an M is not in the
 * scheduler or a P is not idle), the poller (counted), a plain thread (invisible: see
 * {@link Synctest}), or a timer, and timers of this runtime fire only when the clock reaches
 * them, which only this driver moves. So if the second idle still holds, no goroutine was
 * readied between the two checks and stayed runnable (a readied G sits in a queue, or runs on
 * an M that holds a P or, pinned, is not WAITING): the snapshot of WAITING goroutines is the
 * state now.
 *
 * <p>A pinned park (a native frame on the goroutine's stack) keeps its carrier blocked and, at
 * first, its P; in a bubble, sysmon hands that P off even though no work waits (Sysmon.retake),
 * after its usual JDK_BLOCK_NS (about a millisecond of real time), and the clock then moves.
 *
 * <h2>Kicks</h2>
 * Every M of the bubble's runtime calls {@link #kick()} just before it parks in stopm, after it
 * released its P, with its {@code where} at IN_SCHED and the G it ran already WAITING or dead.
 * The last M to go idle therefore kicks after the state became durably blocked, and its unpark
 * permit is not lost if the driver is not parked yet. The driver's park has a timeout
 * ({@link #BACKSTOP_NS}) only as a backstop for an idle transition that does not pass through
 * stopm; with it, the clock never moves early, it could only move late.
 */
final class Bubble {
    /** Go's synctest epoch: the bubble's clock starts at 2000-01-01 00:00:00 UTC. */
    static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    /** The driver's longest park: a safety net, never the mechanism (see the class comment). */
    static final long BACKSTOP_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Thread driver;
    /** Written once by {@link #attach}, before the runtime starts. */
    private Scheduler sched;
    /** The fake nanoTime at {@link #EPOCH}. Written once by {@link #attach}. */
    private long base;
    /** The fake nanoTime. Written by the driver only (monotonic); read by any thread. */
    private volatile long nanos;
    /**
     * The goroutine in {@link Synctest#await}: claimed by it (CAS null -> g) before it parks,
     * cleared by the driver when it readies it. At most one (Go panics on a second Wait).
     */
    final AtomicReference<G> waiter = new AtomicReference<>();
    /** The first exception that escaped a goroutine of the bubble (the body's included). */
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** The body's goroutine has returned or thrown. */
    volatile boolean mainDone;
    /** Rounds of the driver's loop so far (tests: proof that the driver looked). Driver-written. */
    private volatile long rounds;

    Bubble(Thread driver) {
        this.driver = driver;
    }

    /** Called by GoRuntime's constructor after the Scheduler (and its timer wheels) exist, before start. */
    void attach(Scheduler s) {
        sched = s;
        base = System.nanoTime(); // at or after every wheel's origin: the wheels never see an earlier time
        nanos = base;
    }

    long nanoTime() {
        return nanos;
    }

    Instant now() {
        return EPOCH.plusNanos(nanos - base);
    }

    long rounds() {
        return rounds;
    }

    /** An M of the bubble goes idle: the driver re-checks. Any thread; an unpark permit. */
    void kick() {
        LockSupport.unpark(driver);
    }

    /** The park commit of {@link Synctest#await}: the waiter is WAITING now; let the driver look. */
    static final ParkCommit AWAIT = (g, arg) -> {
        ((Bubble) arg).kick();
        return true;
    };

    /**
     * The driver's loop (class comment), on the thread of {@code Synctest.run}. Returns null when
     * every goroutine of the bubble has exited, or the deadlock report.
     *
     * @throws InterruptedException if the thread of run is interrupted (a test framework's
     *         timeout): the bubble's goroutines are left as they are, for run to shut down
     */
    String drive() throws InterruptedException {
        for (;;) {
            rounds = rounds + 1; // the driver is the only writer
            if (sched.allgs.size() == 0) {
                return null;
            }
            List<G> blocked = durablyBlocked();
            if (blocked != null) {
                G w = waiter.getAndSet(null);
                if (w != null) {
                    w.ready(false); // WAITING in await: durablyBlocked saw every G WAITING
                    continue;
                }
                long next = sched.sleepers.earliestTimer();
                if (next == TimerQueue.NONE) {
                    return report(blocked);
                }
                // The jump. A hint may be early (a stopped timer, or a wheel slot's start):
                // runExpired then fires nothing and publishes a later hint, and the next
                // round jumps again; nobody runs in between, so nobody sees the stop-over.
                if (next - nanos > 0) {
                    nanos = next;
                }
                for (P p : sched.allp) {
                    sched.checkTimers(p); // fires ready Gs to the global queue and wake an M
                }
                continue;
            }
            LockSupport.parkNanos(this, BACKSTOP_NS);
            if (Thread.interrupted()) {
                throw new InterruptedException("Synctest.run interrupted at bubble time " + now()
                        + "; the bubble's goroutines:\n" + dump(sched.allgs.snapshot()));
            }
        }
    }

    /** The goroutines as a dump shows them (Go's format). */
    private String dump(List<G> gs) {
        StringBuilder sb = new StringBuilder();
        for (Dump.GInfo gi : Dump.goroutines(sched, gs, false)) {
            sb.append('\n');
            Dump.appendG(sb, gi);
        }
        return sb.toString();
    }

    /** The goroutines, if every one is durably blocked (class comment); else null. */
    private List<G> durablyBlocked() {
        if (!sched.deadlock.idle(true)) {
            return null;
        }
        List<G> gs = sched.allgs.snapshot();
        for (G g : gs) {
            if (g.status() != G.WAITING) {
                return null;
            }
        }
        return sched.deadlock.idle(true) && !gs.isEmpty() ? gs : null;
    }

    /** Go's synctest deadlock panic, then every goroutine as a dump shows it. */
    private String report(List<G> gs) {
        StringBuilder sb = new StringBuilder(mainDone
                ? "deadlock: main bubble goroutine has exited but blocked goroutines remain\n"
                : "deadlock: all goroutines in bubble are blocked\n");
        return sb.append("bubble time ").append(now()).append('\n').append(dump(gs)).toString();
    }
}
