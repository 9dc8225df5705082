package io.goloom.netpoll;

import io.goloom.core.Carrier;
import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import io.goloom.core.Machine;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The process-wide netpoller (Go's {@code netpoll.go}, platform-independent part): one
 * {@link Poller} backend, the count of waiters, the poll token, and the entry points the
 * scheduler calls from findRunnable, its idle path and sysmon. See {@code package-info} for the
 * design; this class comment lists who may call what.
 *
 * <h2>State</h2>
 * <pre>
 *  field        meaning                                    guard / pairs with
 *  poller       the backend, created on first use          INIT lock; volatile publication
 *  waiters      goroutines and threads parked in a         atomic; +1 by a park commit after its
 *               pollDesc semaphore (Go's netpollWaiters)   CAS, -1 by whoever takes the waiter out
 *  pollOwner    the thread blocked in a poll (an M or a    atomic; CAS null -> owner to block,
 *               plain thread), null if none (Go's          set null after the poll returns
 *               sched.lastpoll == 0)
 *  nbBusy       a non-blocking poll is running             atomic; CAS false -> true, at most one
 *  lastPoll     System.nanoTime() of the last poll         volatile; sysmon's 10 ms rule
 *  helpers      plain threads waiting for the token        its own monitor; the Dekker pair with
 *                                                          release() described at kick()
 * </pre>
 *
 * <h2>Who polls</h2>
 * <ul>
 *   <li>An M in findRunnable, after its local and the global run queue came up empty, when
 *       somebody waits and nobody is blocked in the poller: {@link #pollNow()} (non-blocking,
 *       one at a time).</li>
 *   <li>The idle M that would otherwise park: it takes the token ({@link #tryBlock}) and
 *       {@link #pollBlocking} until its runtime's earliest timer; a new earlier timer or
 *       shutdown breaks the poll ({@link #wakeup()}). New work does not: the blocked M holds
 *       no P, so wakep hands the idle P to another M, as in Go.</li>
 *   <li>Sysmon, if nobody has polled for 10 ms ({@link #lastPoll()}).</li>
 *   <li>A plain thread that waits for I/O and finds the token free ({@link #pollOrPark}); when it
 *       is done it {@link #kick()}s so that a runtime M or another thread takes over.</li>
 * </ul>
 * What a poll finds is returned as a list of goroutines linked through {@code SchedLinks.schedlink}
 * (Go's gList); the caller readies them with {@link #injectglist(G)} once it is placed to do so (the
 * idle M after it has acquired a P, so they land in its run queue). Plain threads found ready are
 * unparked during the poll itself.
 *
 * <p>The methods marked "scheduler SPI" are public only because the scheduler lives in another
 * package; applications use {@link Net}, {@link Conn} and {@link Listener}.
 */
public final class Netpoll {
    private Netpoll() {
    }

    /** Sysmon polls if nobody has for this long (Go's sysmon: 10 ms). */
    public static final long SYSMON_POLL_NS = 10_000_000L;

    private static final Object INIT = new Object();
    private static volatile Poller poller;
    private static final AtomicInteger WAITERS = new AtomicInteger();
    private static final AtomicReference<Thread> POLL_OWNER = new AtomicReference<>();
    private static final AtomicBoolean NB_BUSY = new AtomicBoolean();
    private static volatile long lastPoll = System.nanoTime();
    /** Guarded by itself. */
    private static final ArrayDeque<Thread> HELPERS = new ArrayDeque<>();
    /** Copy-on-write under INIT: what {@link #kick()} runs (each scheduler's wakep). */
    private static volatile Runnable[] idleHooks = new Runnable[0];

    /**
     * A sink that wakes what it finds at once, for a select run outside the scheduler's poll
     * paths (the Selector backend's flush of closed channels). Its caller holds no lock.
     */
    static final Poller.Sink DIRECT = (pd, modes) -> {
        if ((modes & Poller.READ) != 0) {
            wake(pd.unblock(Poller.READ, true), false);
        }
        if ((modes & Poller.WRITE) != 0) {
            wake(pd.unblock(Poller.WRITE, true), false);
        }
    };

    /** The token holder's list (one holder at a time). */
    private static final ReadyList BLOCKING = new ReadyList();
    /** The non-blocking poller's list (guarded by NB_BUSY). */
    private static final ReadyList NONBLOCKING = new ReadyList();

    /** Origin of {@link #nanotime()}: one less than System.nanoTime() at class initialisation. */
    private static final long EPOCH = System.nanoTime() - 1;

    // =====================================================================================
    // Backend

    /** The backend, initialising it on first use (Go's netpollGenericInit). */
    static Poller poller() throws IOException {
        Poller p = poller;
        return p != null ? p : init();
    }

    private static Poller init() throws IOException {
        synchronized (INIT) {
            if (poller == null) {
                poller = create(System.getProperty("goloom.netpoll", "auto").trim().toLowerCase(Locale.ROOT));
            }
            return poller;
        }
    }

    private static Poller create(String want) throws IOException {
        switch (want) {
            case "epoll" -> {
                return EpollPoller.create();
            }
            case "selector" -> {
                return new SelectorPoller();
            }
            case "auto", "" -> {
                if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
                    try {
                        return EpollPoller.create();
                    } catch (IOException | RuntimeException | LinkageError e) {
                        System.err.println("goloom: netpoll: epoll unavailable (" + e + "); using the Selector backend");
                    }
                }
                return new SelectorPoller();
            }
            default -> throw new IllegalArgumentException(
                    "goloom: -Dgoloom.netpoll must be epoll, selector or auto, not '" + want + "'");
        }
    }

    /** Whether the poller exists (Go's netpollinited). Scheduler SPI. */
    public static boolean inited() {
        return poller != null;
    }

    /** The backend's name ("epoll" or "selector"), initialising it if needed. */
    public static String backend() throws IOException {
        return poller().name();
    }

    // =====================================================================================
    // Waiters

    /** Whether any goroutine or thread waits in a pollDesc (Go's netpollAnyWaiters). Scheduler SPI. */
    public static boolean anyWaiters() {
        return WAITERS.get() > 0;
    }

    static void waiterAdded() {
        WAITERS.incrementAndGet();
    }

    static void waiterDone() {
        WAITERS.decrementAndGet();
    }

    /** Diagnostics: goroutines and threads parked in pollDescs now. */
    public static int waiters() {
        return WAITERS.get();
    }

    // =====================================================================================
    // Polling (scheduler SPI)

    /** The thread blocked in (or about to enter) a poll, or null. */
    public static Thread pollOwner() {
        return POLL_OWNER.get();
    }

    /** System.nanoTime() at the end of the last poll. */
    public static long lastPoll() {
        return lastPoll;
    }

    /**
     * Takes the poll token for {@code owner} (Go's {@code sched.lastpoll.Swap(0) != 0}) if the
     * poller exists, somebody waits and no one holds it. The holder must call
     * {@link #pollBlocking} at most once per acquisition, then {@link #release()}.
     */
    public static boolean tryBlock(Thread owner) {
        return poller != null && WAITERS.get() > 0 && POLL_OWNER.get() == null
                && POLL_OWNER.compareAndSet(null, owner);
    }

    /** Gives the poll token back (Go's {@code sched.lastpoll.Store(now)}). The holder only. */
    public static void release() {
        lastPoll = System.nanoTime();
        POLL_OWNER.set(null);
    }

    /**
     * The token holder polls: blocks up to {@code timeoutNanos} (negative: until readiness or
     * {@link #wakeup()}; zero: returns null at once) and returns the goroutines made ready,
     * linked through schedlink, or null.
     */
    public static G pollBlocking(long timeoutNanos) {
        if (timeoutNanos == 0) {
            // A timer is due already: go run it. (Polling here would be a non-blocking poll by the
            // token holder, racing the non-blocking poller for the backend's buffer of that kind.)
            return null;
        }
        Poller p = poller;
        try {
            p.poll(timeoutNanos, BLOCKING);
        } catch (IOException e) {
            throw new IllegalStateException("goloom: netpoll: " + p.name() + " poll failed", e);
        }
        return BLOCKING.take();
    }

    /**
     * A non-blocking poll (Go's {@code netpoll(0)}): returns the goroutines made ready, or null
     * when there were none, nobody waits, a thread is blocked in the poller, or another
     * non-blocking poll is running. Any thread but a goroutine.
     */
    public static G pollNow() {
        Poller p = poller;
        if (p == null || WAITERS.get() <= 0 || POLL_OWNER.get() != null || !NB_BUSY.compareAndSet(false, true)) {
            return null;
        }
        try {
            p.poll(0, NONBLOCKING);
            lastPoll = System.nanoTime();
            return NONBLOCKING.take();
        } catch (IOException e) {
            throw new IllegalStateException("goloom: netpoll: " + p.name() + " poll failed", e);
        } finally {
            NB_BUSY.set(false);
        }
    }

    /**
     * Readies every goroutine of a list from a poll (Go's injectglist): each goes to its own
     * runtime; from an M holding a P, to that P's run queue, with a wakep. Scheduler SPI.
     */
    public static void injectglist(G list) {
        while (list != null) {
            G g = list;
            list = SchedLinks.schedlink(g);
            SchedLinks.setSchedlink(g, null);
            g.ready(false);
        }
    }

    /**
     * Go's {@code netpollBreak}: wakes the thread blocked in the poller, or makes the next
     * blocking poll return at once. Any thread. Scheduler SPI.
     */
    public static void wakeup() {
        Poller p = poller;
        if (p != null) {
            p.wakeup();
        }
    }

    /**
     * Registers what {@link #kick()} runs for a scheduler (its wakep): called when the poll token
     * is given up by a holder that will not take it again while goroutines wait. Scheduler SPI.
     */
    public static void addIdleHook(Runnable hook) {
        synchronized (INIT) {
            Runnable[] a = idleHooks;
            Runnable[] b = java.util.Arrays.copyOf(a, a.length + 1);
            b[a.length] = hook;
            idleHooks = b;
        }
    }

    /** Removes a hook added by {@link #addIdleHook} (at the scheduler's shutdown). */
    public static void removeIdleHook(Runnable hook) {
        synchronized (INIT) {
            Runnable[] a = idleHooks;
            for (int i = 0; i < a.length; i++) {
                if (a[i] == hook) {
                    Runnable[] b = new Runnable[a.length - 1];
                    System.arraycopy(a, 0, b, 0, i);
                    System.arraycopy(a, i + 1, b, i, a.length - i - 1);
                    idleHooks = b;
                    return;
                }
            }
        }
    }

    /**
     * Runs {@code call}, which blocks its thread in code goloom cannot park (a host name lookup:
     * getaddrinfo or a JDK resolver): on a goroutine through its scheduler's blocking-call
     * section ({@link io.goloom.core.Sched#blocking}: the P is lent to sysmon's hand-off while the
     * call runs, as Go's cgo resolver runs getaddrinfo as a system call); on a plain thread it
     * simply runs.
     */
    static <T> T blocking(java.util.concurrent.Callable<T> call) throws Exception {
        G g = G.current();
        return g == null ? call.call() : g.sched.blocking(call);
    }

    /**
     * The poll token was given up by a holder that will not come back for it (a plain thread
     * whose wait ended, an M of a runtime that is shutting down). If anybody still waits, wake a
     * plain thread waiting for the token and every scheduler's idle hook (wakep), so that one of
     * them becomes the poller; otherwise their readiness would wait for sysmon.
     *
     * <p>No lost hand-over: a helper enqueues itself under HELPERS' monitor and then reads the
     * token (volatile); the releaser stores null into the token and then reads HELPERS under the
     * monitor. Either the helper sees the token free and polls, or the releaser sees the helper.
     */
    public static void kick() {
        if (WAITERS.get() <= 0) {
            return;
        }
        Thread h;
        synchronized (HELPERS) {
            h = HELPERS.peekFirst();
        }
        if (h != null) {
            LockSupport.unpark(h);
        }
        for (Runnable r : idleHooks) {
            r.run();
        }
    }

    // =====================================================================================
    // Plain threads

    /**
     * One step of a plain thread's wait on {@code pd}'s {@code mode} semaphore, which holds
     * {@code me}: poll as the token holder for at most {@code left} ns (negative: no limit), or,
     * if another thread holds the token, park until woken (by our readiness, a deadline change,
     * close, or a {@link #kick()}) or {@code left} passes. Returns whether this step polled.
     */
    static boolean pollOrPark(PollDesc pd, int mode, Thread me, long left) {
        // A virtual thread on a goloom carrier never polls: it would block an M that holds a P
        // in the backend's wait. That runtime's idle Ms poll for it (it counts as a waiter).
        boolean mayPoll = !(me.isVirtual() && Carrier.current() instanceof Machine);
        if (mayPoll && poller != null && POLL_OWNER.get() == null && POLL_OWNER.compareAndSet(null, me)) {
            G list = null;
            try {
                // Dekker with nudge(): our CAS on the token, then this read of our semaphore.
                if (pd.waiter(mode) == me) {
                    list = pollBlocking(left);
                }
            } finally {
                release();
            }
            injectglist(list);
            return true;
        }
        synchronized (HELPERS) {
            HELPERS.addLast(me);
        }
        try {
            if ((!mayPoll || POLL_OWNER.get() != null) && pd.waiter(mode) == me) {
                if (left < 0) {
                    LockSupport.park(pd);
                } else {
                    LockSupport.parkNanos(pd, left);
                }
            }
        } finally {
            synchronized (HELPERS) {
                HELPERS.remove(me);
            }
        }
        return false;
    }

    /**
     * Wakes a waiter taken out of a semaphore: readies a G ({@code next}: into the caller's
     * runnext, as Go's goready) or unparks a thread. Counts it out of the waiters. Call with no
     * lock held.
     */
    static void wake(Object w, boolean next) {
        if (w == null) {
            return;
        }
        WAITERS.decrementAndGet();
        if (w instanceof G g) {
            g.ready(next);
        } else {
            nudge((Thread) w);
        }
    }

    /**
     * Makes a plain-thread waiter look at its semaphore and deadline again: unparks it, and
     * breaks the poll if it is the one blocked in the poller. Dekker with pollOrPark: the caller
     * changed the semaphore or the deadline (volatile) before this read of the token.
     */
    static void nudge(Thread t) {
        LockSupport.unpark(t);
        if (POLL_OWNER.get() == t) {
            wakeup();
        }
    }

    // =====================================================================================
    // Time

    /** Monotonic nanoseconds since netpoll started, always positive: the clock of deadlines. */
    static long nanotime() {
        return System.nanoTime() - EPOCH;
    }

    /** A {@link #nanotime()} value as System.nanoTime(), for timers. */
    static long toNanoTime(long t) {
        return t + EPOCH;
    }

    /** An absolute deadline ({@link #nanotime()}) {@code nanos} from now; saturates; -1 if not in the future. */
    static long deadlineIn(long nanos) {
        if (nanos <= 0) {
            return -1;
        }
        long d = nanotime() + nanos;
        return d < 0 ? Long.MAX_VALUE : d;
    }

    // =====================================================================================

    /**
     * Collects the goroutines a poll makes ready (Go's gList built by netpollready). Used by one
     * poller at a time (the token holder, or the NB_BUSY holder), so its fields are plain.
     */
    private static final class ReadyList implements Poller.Sink {
        private G head;
        private G tail;

        @Override
        public void netpollready(PollDesc pd, int modes) {
            if ((modes & Poller.READ) != 0) {
                add(pd.unblock(Poller.READ, true));
            }
            if ((modes & Poller.WRITE) != 0) {
                add(pd.unblock(Poller.WRITE, true));
            }
        }

        private void add(Object w) {
            if (w == null) {
                return;
            }
            WAITERS.decrementAndGet();
            if (w instanceof G g) {
                // We won the CAS that took g out of its semaphore: we own its schedlink until ready.
                SchedLinks.setSchedlink(g, null);
                if (tail == null) {
                    head = g;
                } else {
                    SchedLinks.setSchedlink(tail, g);
                }
                tail = g;
            } else {
                // A plain thread. Not a bare unpark: with a non-blocking poll it may be the thread
                // that took the token meanwhile and now sits in the backend's wait.
                nudge((Thread) w);
            }
        }

        G take() {
            G h = head;
            head = null;
            tail = null;
            return h;
        }
    }
}
