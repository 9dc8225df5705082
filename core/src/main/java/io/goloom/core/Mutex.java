package io.goloom.core;

import io.goloom.core.spi.StackHeadroom;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A mutual exclusion lock for goroutines (Go's {@code sync.Mutex}, internal/sync/mutex.go).
 * A goroutine that has to wait parks (wait reason {@link WaitReason#SYNC_MUTEX_LOCK}); its
 * carrier runs other goroutines meanwhile. A plain thread that has to wait blocks. Not
 * reentrant; not tied to an owner: any goroutine may unlock it, as in Go.
 *
 * <h2>Fairness: normal and starvation mode (Go's essay, restated)</h2>
 * In <b>normal mode</b> waiters queue FIFO, but a woken waiter does not own the mutex: it
 * competes with newly arriving goroutines, which have the advantage of already running (and
 * may spin briefly first, when the scheduler says it pays: {@link Sched#canSpin}). A woken
 * waiter that loses goes back to the <em>front</em> of the queue. A waiter that has failed to
 * get the mutex for more than {@value #STARVATION_THRESHOLD_NS} ns switches it to
 * <b>starvation mode</b>: unlock hands ownership directly to the waiter at the front of the
 * queue (and yields its time slice to it); arriving goroutines neither spin nor grab the
 * mutex, they queue at the tail. A waiter that gets the mutex and is the last in the queue, or
 * waited less than the threshold, switches back to normal mode. Normal mode is much faster
 * (a goroutine can take the mutex many times in a row); starvation mode bounds tail latency.
 *
 * <h2>The state word</h2>
 * <pre>
 *   bit 31 ............ 3   2          1        0
 *   [ waiter count      ] [starving] [woken] [locked]
 * </pre>
 * {@code woken}: a goroutine is awake and trying to lock (a spinner, or a waiter the last
 * unlock woke), so unlock need not wake another. In starvation mode a handed-off mutex has
 * {@code locked} clear until the new owner sets it; {@code starving} keeps newcomers out.
 *
 * <p>Time: waiting is measured with the goroutine's {@link Sched#nanoTime()} (precise, like
 * Go's nanotime; a test scheduler injects its clock there), or {@link System#nanoTime()} on a
 * plain thread. Not {@link Sched#coarseNanos()}: a clock that moves once per sysmon tick (up
 * to 10 ms) would engage starvation mode anywhere between 0 and 10 ms.
 */
public final class Mutex implements Locker {

    static final int LOCKED = 1;
    static final int WOKEN = 2;
    static final int STARVING = 4;
    static final int WAITER_SHIFT = 3;
    /** A waiter blocked longer than this switches the mutex to starvation mode (Go: 1 ms). */
    static final long STARVATION_THRESHOLD_NS = 1_000_000L;
    /** Pause instructions per spin round (Go's active_spin_cnt, procyield(30)). */
    static final int SPIN_PAUSES = 30;
    /** Spin rounds a plain thread may make (Go's active_spin = 4). */
    static final int THREAD_SPIN_ROUNDS = 4;
    private static final boolean MULTICORE = Runtime.getRuntime().availableProcessors() > 1;

    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Mutex.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The state word drawn above. Atomic via STATE (any thread). */
    private volatile int state;
    private final Sema sema = new Sema(0);

    /** Locks, waiting (parked) while another goroutine holds the mutex. */
    @Override
    public void lock() {
        if (STATE.compareAndSet(this, 0, LOCKED)) {
            return; // fast path: unlocked, no waiters
        }
        lockSlow();
    }

    /**
     * Locks if that is possible now. A goroutine that is running may take the mutex even with
     * waiters queued (normal mode), but never in starvation mode.
     */
    public boolean tryLock() {
        int old = state;
        if ((old & (LOCKED | STARVING)) != 0) {
            return false;
        }
        return STATE.compareAndSet(this, old, old | LOCKED);
    }

    private void lockSlow() {
        // Before any step of the wait protocol (counting ourselves as a waiter, setting WOKEN):
        // a StackOverflowError between those steps and the queueing would leave the mutex
        // unable to wake anyone. See StackHeadroom.
        StackHeadroom.ensure();
        final G g = G.current();
        long waitStart = 0;
        boolean waited = false;
        boolean starving = false;
        boolean awoke = false;
        int iter = 0;
        int old = state;
        for (;;) {
            // Spin only in normal mode while locked: in starvation mode ownership is handed to
            // waiters, so spinning could never succeed.
            if ((old & (LOCKED | STARVING)) == LOCKED && canSpin(g, iter)) {
                // Set woken so that unlock does not wake another waiter while we spin.
                if (!awoke && (old & WOKEN) == 0 && (old >>> WAITER_SHIFT) != 0
                        && STATE.compareAndSet(this, old, old | WOKEN)) {
                    awoke = true;
                }
                for (int i = 0; i < SPIN_PAUSES; i++) {
                    Thread.onSpinWait();
                }
                iter++;
                old = state;
                continue;
            }
            int nw = old;
            if ((old & STARVING) == 0) {
                nw |= LOCKED; // don't grab a starving mutex: newcomers queue
            }
            if ((old & (LOCKED | STARVING)) != 0) {
                nw += 1 << WAITER_SHIFT;
            }
            // Switch to starvation mode, but only if still locked: unlock expects a starving
            // mutex to have waiters, which would not be true if it is unlocked now.
            if (starving && (old & LOCKED) != 0) {
                nw |= STARVING;
            }
            if (awoke) {
                // We were woken (or claimed woken while spinning): reset the flag either way.
                if ((nw & WOKEN) == 0) {
                    throw inconsistent(old);
                }
                nw &= ~WOKEN;
            }
            if (STATE.compareAndSet(this, old, nw)) {
                if ((old & (LOCKED | STARVING)) == 0) {
                    return; // locked it with the CAS
                }
                // A waiter that already waited goes back to the front of the queue.
                boolean lifo = waited;
                if (!waited) {
                    waited = true;
                    waitStart = nanos(g);
                }
                sema.acquire(lifo, WaitReason.SYNC_MUTEX_LOCK);
                starving = starving || nanos(g) - waitStart > STARVATION_THRESHOLD_NS;
                old = state;
                if ((old & STARVING) != 0) {
                    // Handed off in starvation mode: we own the mutex, but the state still says
                    // unlocked and counts us as a waiter. Fix both in one add.
                    if ((old & (LOCKED | WOKEN)) != 0 || (old >>> WAITER_SHIFT) == 0) {
                        throw inconsistent(old);
                    }
                    int delta = LOCKED - (1 << WAITER_SHIFT);
                    if (!starving || (old >>> WAITER_SHIFT) == 1) {
                        // Leave starvation mode. Decide it here, with our wait time: starvation
                        // mode is so slow that two goroutines could stay in lock-step in it.
                        delta -= STARVING;
                    }
                    STATE.getAndAdd(this, delta);
                    return;
                }
                awoke = true;
                iter = 0;
            } else {
                old = state;
            }
        }
    }

    /**
     * Unlocks. May be called by any goroutine or thread, not only the one that locked it.
     *
     * @throws IllegalStateException if the mutex is not locked (Go: fatal error)
     */
    @Override
    public void unlock() {
        int nw = (int) STATE.getAndAdd(this, -LOCKED) - LOCKED;
        if (nw != 0) {
            unlockSlow(nw);
        }
    }

    private void unlockSlow(int nw) {
        if (((nw + LOCKED) & LOCKED) == 0) {
            STATE.getAndAdd(this, LOCKED); // undo, so the state stays meaningful
            throw new IllegalStateException("sync: unlock of unlocked mutex");
        }
        // Before taking the right to wake a waiter (the WOKEN bit): dying between that and the
        // wake would leave the waiters asleep for good. See StackHeadroom.
        StackHeadroom.ensure();
        if ((nw & STARVING) == 0) {
            int old = nw;
            for (;;) {
                // Nobody to wake, or someone is already awake or has the lock: done. (In
                // starvation mode ownership passes from unlocker to waiter; we did not see the
                // starving bit when we unlocked, so we are not part of that chain.)
                if ((old >>> WAITER_SHIFT) == 0 || (old & (LOCKED | WOKEN | STARVING)) != 0) {
                    return;
                }
                // Take the right to wake one waiter.
                int next = (old - (1 << WAITER_SHIFT)) | WOKEN;
                if (STATE.compareAndSet(this, old, next)) {
                    sema.release(false);
                    return;
                }
                old = state;
            }
        }
        // Starvation mode: hand ownership to the first waiter and yield our time slice to it.
        // LOCKED stays clear until the waiter sets it; STARVING keeps newcomers out meanwhile.
        sema.release(true);
    }

    /** Whether the mutex is locked now (racy; for diagnostics and tests). */
    public boolean isLocked() {
        int s = state;
        return (s & LOCKED) != 0 || (s & STARVING) != 0 && (s >>> WAITER_SHIFT) != 0;
    }

    /**
     * Whether the mutex is in starvation mode now (racy; a diagnostic and test hook). In
     * starvation mode unlock hands the mutex to the longest waiter, FIFO.
     */
    public boolean isStarving() {
        return (state & STARVING) != 0;
    }

    /** Goroutines (and threads) queued for the mutex now (racy; for diagnostics and tests). */
    public int waiters() {
        return state >>> WAITER_SHIFT;
    }

    /** The raw state word, for tests. */
    int state() {
        return state;
    }

    @Override
    public String toString() {
        int s = state;
        return "Mutex[" + ((s & LOCKED) != 0 ? "locked" : "unlocked") + ((s & WOKEN) != 0 ? ", woken" : "")
                + ((s & STARVING) != 0 ? ", starving" : "") + ", waiters=" + (s >>> WAITER_SHIFT) + "]";
    }

    private static boolean canSpin(G g, int iter) {
        if (g != null) {
            return g.sched.canSpin(iter);
        }
        return MULTICORE && iter < THREAD_SPIN_ROUNDS;
    }

    private static long nanos(G g) {
        return g != null ? g.sched.nanoTime() : System.nanoTime();
    }

    private IllegalStateException inconsistent(int old) {
        return new IllegalStateException("sync: inconsistent mutex state: " + Integer.toBinaryString(old) + " " + this);
    }
}
