package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.netpoll.Netpoll;
import io.goloom.timers.TimerQueue;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One runtime's side of the process-wide netpoller ({@link Netpoll}): what findRunnable, the
 * idle path, timerWaker, sysmon (retake), shutdown and the deadlock check call, at the lines
 * marked {@code // netpoll:} in {@link Scheduler}. The netpoller itself (the backend, the waiter count, the poll token)
 * lives in the netpoll module and is shared by every runtime and by plain threads; a goroutine
 * made ready by any poll is readied into its own runtime.
 *
 * <h2>Roles in the idle path</h2>
 * An M with nothing to do may hold two roles, taken independently:
 * <pre>
 *  role            scope          taken by                       sleeps in
 *  poll token      the process    CAS Netpoll's token (Go's      the poller, until this
 *                                 sched.lastpoll.Swap(0))        runtime's earliest timer if
 *                                                                it also holds the timer role
 *  timer sleeper   this runtime   CAS Scheduler.timerSleeper     notesleepUntil, unless it
 *                                                                also holds the token
 * </pre>
 * Go has one role (its netpoll-blocked M is its timer sleeper) because it has one runtime; here
 * the token may be held by another runtime's M or a plain thread, so the timer role must work
 * without it. timerWaker must wake the sleeper the way it sleeps: {@link #blocker} says which
 * of this runtime's Ms last took the token, so the waker breaks the poll for it and signals the
 * note of anyone else.
 *
 * <h2>Why timerWaker can trust {@link #blocker}</h2>
 * The M stores {@code blocker = m} (taking the token) or clears its own entry (not taking it)
 * before it publishes itself as timerSleeper; the waker reads timerSleeper and then blocker.
 * So a waker that sees an M as timerSleeper sees the blocker value that M stored for this
 * sleep. blocker is never cleared after a poll (a late waker then breaks a poll that is over,
 * which only costs a spurious wake-up of the next poll); an M that sleeps plainly clears it
 * with a CAS on its own value, so it never erases another M's entry.
 */
final class Netpoller {

    private static final VarHandle BLOCKER;
    static {
        try {
            BLOCKER = MethodHandles.lookup().findVarHandle(Netpoller.class, "blocker", M.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // Deadline timers go to the caller's P when it is an M of the G's runtime, else to P0.
        Netpoll.setTimerHost(Netpoller::timerQueue);
        // Host name lookups in Net.dial/listen run as blocking calls (sysmon may hand the P off).
        Netpoll.setBlockingHost(Go::blocking);
    }

    private final Scheduler sched;
    /** What Netpoll.kick runs for this runtime: start an M that will take the token. Immutable. */
    private final Runnable idleHook;
    /** The M of this runtime that last took the poll token; see the class comment. Atomic via BLOCKER. */
    @SuppressWarnings("unused")
    private volatile M blocker;

    /** The idle hook is registered (lazily, by this runtime's first idle M). Written under this. */
    private volatile boolean hooked;

    Netpoller(Scheduler sched) {
        this.sched = sched;
        this.idleHook = sched::wakep;
    }

    private static TimerQueue timerQueue(G g) {
        return g.sched instanceof Scheduler s ? s.timerQueueForCaller() : null;
    }

    /**
     * findRunnable, after the local and global queues: a non-blocking poll if goroutines wait
     * and no thread is blocked in the poller (one M at a time). Readies what it finds into this
     * M's P (Go's injectglist). Returns true if this P's run queue may have work now.
     */
    boolean pollNow(M m) {
        if (!Netpoll.anyWaiters() || Netpoll.pollOwner() != null) {
            return false; // two volatile reads: the common case costs nothing more
        }
        G list = Netpoll.pollNow();
        Netpoll.ready(list);
        // Threads the poll found ready were unparked during it; a JDK virtual thread scheduled on
        // our carriers was thereby queued on this M's P. Either way there may be work here now.
        P pp = m.p;
        return list != null || (pp != null && !pp.runqempty());
    }

    /**
     * The idle path, first step: takes the poll token for {@code m} if goroutines (or threads)
     * wait and nobody holds it. Records the outcome in {@link #blocker} either way, before the
     * caller publishes m as timerSleeper.
     */
    boolean tryBlock(M m) {
        if (!hooked) {
            hook(); // not in the constructor: a kick must not reach a runtime still being built
        }
        if (Netpoll.tryBlock(m)) {
            BLOCKER.setVolatile(this, m);
            return true;
        }
        BLOCKER.compareAndSet(this, m, null);
        return false;
    }

    /**
     * The token holder blocks in the poller until {@code until} (System.nanoTime; TimerQueue.NONE:
     * until readiness or a break). Returns the goroutines made ready; the caller readies them once
     * it has a P ({@link #ready}) and gives the token back with {@link #unblock}.
     */
    G block(long until) {
        if (sched.stopping) {
            return null; // Dekker with shutdown: it sets stopping, then looks for a token holder
        }
        long timeout = until == TimerQueue.NONE ? -1 : Math.max(0, until - System.nanoTime());
        // An interrupt aimed at this idle carrier means nothing to the runtime, but a Selector
        // returns at once while it is set: left set, the M would spin through findRunnable
        // back into this poll. (epoll_wait through FFM ignores it.) See M.notesleep.
        Thread.interrupted();
        return Netpoll.pollBlocking(timeout);
    }

    /** Gives the token back. {@code leaving}: this M will not come back for it (shutdown), so wake a successor. */
    void unblock(boolean leaving) {
        Netpoll.release();
        if (leaving) {
            Netpoll.kick();
        }
    }

    /** Readies a list from a poll into the caller's P (or the global queue without one). */
    static void ready(G list) {
        Netpoll.ready(list);
    }

    /**
     * timerWaker: wakes {@code sleeper} by breaking the poll if it is the M of this runtime that
     * holds (or last held) the token. Returns false if the caller must signal its note instead.
     */
    boolean wakeSleeper(M sleeper) {
        if ((M) BLOCKER.getVolatile(this) == sleeper) {
            Netpoll.wakeup();
            return true;
        }
        return false;
    }

    /**
     * Sysmon: polls if goroutines wait, nobody is blocked in the poller and nobody has polled for
     * {@link Netpoll#SYSMON_POLL_NS} (Go's sysmon). What it finds goes to the global queue with a
     * wakep. Returns true if it readied something.
     */
    boolean sysmonPoll(long now) {
        if (!Netpoll.anyWaiters() || Netpoll.pollOwner() != null || now - Netpoll.lastPoll() < Netpoll.SYSMON_POLL_NS) {
            return false;
        }
        G list = Netpoll.pollNow();
        if (list == null) {
            return false;
        }
        Netpoll.ready(list);
        return true;
    }

    /**
     * Shutdown (after {@code stopping} is set): stop being kicked, and break the poll if one of
     * our Ms holds the token so it can exit (it then kicks a successor: {@link #unblock}).
     */
    private synchronized void hook() {
        if (!hooked && !sched.stopping) {
            Netpoll.addIdleHook(idleHook);
            hooked = true;
        }
    }

    void shutdown() {
        synchronized (this) {
            if (hooked) {
                Netpoll.removeIdleHook(idleHook);
                hooked = false;
            }
        }
        if (Netpoll.pollOwner() instanceof M m && m.sched == sched) {
            Netpoll.wakeup();
        }
    }
}
