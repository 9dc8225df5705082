package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.GoExit;
import io.goloom.core.WaitReason;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Go 1.25's {@code testing/synctest} for goroutines: tests of concurrent, time-dependent code
 * that run on a fake clock, deterministically and in milliseconds of real time.
 *
 * <pre>{@code
 * Synctest.run(() -> {
 *     Context.Cancelable ctx = Context.withTimeout(Context.background(), Duration.ofHours(24));
 *     Go.sleep(Duration.ofHours(24).minusNanos(1));
 *     Synctest.await();                       // every other goroutine is durably blocked
 *     assert ctx.err() == null;
 *     Go.sleep(Duration.ofNanos(1));
 *     Synctest.await();
 *     assert ctx.err() == Context.DEADLINE_EXCEEDED;
 * });                                         // a fake day, a few milliseconds of real time
 * }</pre>
 *
 * <h2>The bubble</h2>
 * {@link #run} starts the body in a new goroutine of a <em>bubble</em>; every goroutine started
 * from inside it ({@link Go#go}, {@link Go#spawn}, {@link ErrGroup}, {@link Go#afterFunc},
 * {@code Context.afterFunc}, a context's deadline) belongs to the bubble. Inside it,
 * {@link Go#sleep}, {@link Timer}, {@link Ticker}, {@link Go#after}, {@link Go#afterFunc},
 * {@link Context#withTimeout}, {@link Context#withDeadline} and {@link Go#now()} (what goloom
 * code reads the time with: Go's {@code time.Now()}) use the bubble's fake clock, which starts at
 * 2000-01-01T00:00:00Z. The clock moves only when every goroutine of the bubble is <em>durably
 * blocked</em>: then it jumps to the earliest timer of the bubble and fires it (and everything
 * due at that instant). Plain {@code System.nanoTime()}, {@code Instant.now()} and JDK waits
 * keep the real clock.
 *
 * <p>{@link #run} returns when every goroutine of the bubble has exited (Go's rule). If the
 * goroutines are durably blocked with no timer left, nothing can ever wake them: run throws a
 * {@link DeadlockException} whose message starts with Go's "deadlock: all goroutines in bubble
 * are blocked" (or "main bubble goroutine has exited but blocked goroutines remain") and lists
 * every goroutine as a goroutine dump does. An exception that escapes the body or any
 * goroutine of the bubble is rethrown by run (the first one; a deadlock that follows it is
 * attached as suppressed).
 *
 * <h2>Durably blocked</h2>
 * A goroutine is durably blocked when it is parked on something only another goroutine of the
 * bubble can end: a channel operation or {@link io.goloom.core.Select}, a {@code sync}
 * primitive (Mutex, WaitGroup, Cond, Sema...), {@link Go#sleep}, a timer's or ticker's channel,
 * {@link Go#park}, {@link #await}. It is <em>not</em> durably blocked, and the clock stays put,
 * while it runs or is runnable, while it is inside {@link Go#blocking} or any JDK call that
 * holds its carrier (a pinned park, a monitor), or while any goroutine waits on the network
 * poller (Go: I/O is not durably blocking; goloom's test is process-wide, so a poller waiter of
 * another runtime also holds the clock, conservatively). Go also treats channels created outside
 * the bubble as not durably blocking; goloom does not tag channels (that would cost a field and
 * a goroutine lookup on every channel), so a goroutine of the bubble waiting on a channel that a
 * plain thread or another runtime feeds counts as durably blocked: the clock may jump, or run
 * may report a deadlock, while that value is on its way. Feed a bubble only from inside it.
 *
 * <h2>Why a runtime of its own</h2>
 * A bubble is a {@link GoRuntime} of its own (GOMAXPROCS 1 by default, or as given) whose timer
 * wheels run on the fake clock ({@link Scheduler#nanoTime()}), driven by the thread that called
 * run. The alternative, a tag on G inside the caller's runtime, needs what Go does: a count of
 * the bubble's running goroutines updated on every status change (gopark, ready, execute, exit)
 * and timers kept apart from the P's wheels. That puts a field read or a counter on the hot
 * paths of every runtime. With a runtime of its own, "every goroutine of the bubble is durably
 * blocked" is the existing deadlock test ({@link Deadlock#idle()}: every P idle, every M in the
 * scheduler, no goroutine runnable) minus the timers, the bubble's goroutines are exactly that
 * runtime's goroutines ({@code Go.go} already starts children on the caller's runtime), and
 * timers armed inside go to that runtime's wheels. What the normal runtime pays: one field read
 * ({@code Scheduler.bubble}) in checkTimers' clock (only when a timer is pending), in the idle
 * path before an M parks, in sleepForTimers and in sysmon's retake; nothing on execute, gopark,
 * ready or newproc. The price is a runtime's threads per bubble (its Ms and sysmon), fine for
 * tests.
 *
 * <p>The driver's algorithm and why it never advances the clock while a goroutine can still
 * run are in {@link Bubble}.
 */
public final class Synctest {
    private static final AtomicLong SEQ = new AtomicLong();

    private Synctest() {
    }

    /** {@link #run(int, Runnable)} with GOMAXPROCS 1. */
    public static void run(Runnable body) {
        run(1, body);
    }

    /**
     * Runs {@code body} in a new goroutine of a new bubble with {@code procs} Ps, advancing the
     * bubble's fake clock as the class comment says, and returns when every goroutine of the
     * bubble has exited. From a plain thread the caller waits on its own thread; from a goroutine
     * (of another runtime) it waits inside {@link Go#blocking}.
     *
     * @throws DeadlockException     when the bubble's goroutines are durably blocked and no timer
     *                               is left (the report names them)
     * @throws IllegalStateException when called from inside a bubble (Go: "synctest.Run called
     *                               from within a synctest bubble")
     * @throws RuntimeException      or Error: the first exception that escaped a goroutine of
     *                               the bubble (a checked one wrapped)
     * @throws IllegalStateException when the calling thread is interrupted while it waits (a
     *                               test's timeout): the message lists the bubble's goroutines;
     *                               the interrupt status is kept
     */
    public static void run(int procs, Runnable body) {
        Objects.requireNonNull(body, "body");
        if (procs < 1) {
            throw new IllegalArgumentException("procs (GOMAXPROCS) must be at least 1, got " + procs);
        }
        G cur = G.current();
        if (cur == null) {
            runHere(procs, body);
            return;
        }
        if (bubbleOf(cur) != null) {
            throw new IllegalStateException("Synctest.run called from within a synctest bubble (goroutine " + cur.id + ")");
        }
        Go.blocking(() -> runHere(procs, body));
    }

    /**
     * Go's {@code synctest.Wait}: returns once every other goroutine of the current bubble is
     * durably blocked (or has exited). Only one goroutine of a bubble may wait at a time. The
     * clock does not move while goroutines are running, so after await returns the bubble is
     * quiescent at the current fake time: a test then checks what the others did.
     *
     * @throws IllegalStateException outside a bubble, or when another goroutine of the bubble
     *                               already waits
     */
    public static void await() {
        G g = G.currentOrThrow("Synctest.await");
        Bubble b = bubbleOf(g);
        if (b == null) {
            throw new IllegalStateException("Synctest.await called from outside a synctest bubble (goroutine " + g.id + ")");
        }
        if (!b.waiter.compareAndSet(null, g)) {
            throw new IllegalStateException("Synctest.await: goroutine " + b.waiter.get().id
                    + " of this bubble is already waiting (Go: only one goroutine may call Wait at a time)");
        }
        g.gopark(WaitReason.SYNCTEST_WAIT, Bubble.AWAIT, b); // the driver readies us (Bubble.drive)
    }

    /** Whether the current goroutine runs inside a synctest bubble. */
    public static boolean inBubble() {
        G g = G.current();
        return g != null && bubbleOf(g) != null;
    }

    private static Bubble bubbleOf(G g) {
        return g.sched instanceof Scheduler s ? s.bubble : null;
    }

    private static void runHere(int procs, Runnable body) {
        Bubble b = new Bubble(Thread.currentThread());
        GoRuntime rt = GoRuntime.builder()
                .name("synctest-" + SEQ.incrementAndGet())
                .procs(procs)
                .deadlockDetection(false) // the driver is the bubble's checkdead
                .panicHandler((g, t) -> b.failure.compareAndSet(null, t))
                .bubble(b)
                .build();
        String deadlock = null;
        boolean exited = false;
        try {
            rt.go("synctest", () -> {
                try {
                    body.run();
                } catch (GoExit exit) {
                    // Go.goexit in the body: it has ended; run waits for the others as usual
                } catch (Throwable t) {
                    b.failure.compareAndSet(null, t);
                } finally {
                    b.mainDone = true;
                }
            });
            deadlock = b.drive();
            exited = deadlock == null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            if (exited) {
                rt.close(); // every goroutine exited
            } else {
                rt.shutdown(); // blocked goroutines stay parked (garbage with the runtime); running ones end at their next yield point
            }
        }
        Throwable t = b.failure.get();
        if (t != null) {
            if (deadlock != null) {
                t.addSuppressed(new DeadlockException(deadlock));
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new RuntimeException(t);
        }
        if (deadlock != null) {
            throw new DeadlockException(deadlock);
        }
    }
}
