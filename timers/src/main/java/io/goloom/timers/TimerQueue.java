package io.goloom.timers;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * A {@link TimerWheel} plus a lock-free inbox: timers are armed, reset and cancelled from any
 * thread while one logical owner mutates the wheel and runs the expired timers. In goloom each
 * P owns one queue; the owner is whichever thread holds the P, and the scheduler hands the P
 * over with a happens-before edge, so nothing here checks thread identity.
 *
 * <h2>Goals</h2>
 * <ul>
 *   <li>No timer thread and no lock: expired timers run on the owner, inside
 *       {@link #runExpired}, which the scheduler calls from its scheduling loop (findRunnable);
 *       the idle path sleeps until {@link #earliestHint()}.</li>
 *   <li>Any thread can arm, reset and cancel with a few CASes and no allocation; the owner's
 *       own calls ({@code *Local}) go straight to the wheel.</li>
 *   <li>Go's timer semantics: {@link #cancel} is {@code Timer.Stop} (true iff it prevented a
 *       fire), {@link #reset} is {@code Timer.Reset} (re-arms, also after a fire; true iff the
 *       timer was pending). At most one fire per arming, never before the deadline.</li>
 *   <li>A new earlier timer wakes the idle path: the arming call lowers the hint and calls the
 *       {@link Waker}, so an idle M never sleeps past a deadline.</li>
 * </ul>
 *
 * <h2>The inbox</h2>
 * An intrusive Treiber stack of nodes linked through {@link TimerNode#inboxNext}. A thread that
 * sets a node's QUEUED bit (in the node's state word, by the CAS that records its request)
 * pushes it with a CAS on {@link #inbox}; the owner takes the whole stack with one getAndSet and
 * applies each node's latest request (the state word and {@code requested}), not a queued
 * message, so LIFO order is harmless and a node reset ten times before the drain is applied
 * once. There is no ABA: nobody pops single nodes, so a push CAS from {@code h} to {@code n} only
 * needs {@code h} to be the head at that instant, and then {@code n -> h -> ...} is the stack,
 * whatever happened to {@code h} in between. The node's state machine and the races it handles
 * are written out in {@link TimerNode}.
 *
 * <h2>The hint and the wake-up protocol</h2>
 * {@link #earliestHint()} is a volatile long: the owner stores {@code wheel.nextDeadline()} at
 * the end of runExpired, and arming threads lower it with a CAS. Its contract is a wake-up
 * protocol, not a value: <em>if a thread reads {@code h} from the hint while an armed timer's
 * deadline {@code d} is earlier than {@code h}, then the waker is called with a deadline at or
 * before {@code d} after that read</em> (by the arming thread, or by the owner). So an idle
 * thread that reads the hint, then sleeps until it in a way a wake-up cannot be lost (an unpark
 * permit, an eventfd), never oversleeps a deadline. The hint may be stale-early (after a cancel
 * or a fire, until the owner's next runExpired): that costs an early wake-up only. It is a lower
 * bound in the sense of {@link TimerWheel#nextDeadline()}: exact up to 64 ticks ahead.
 *
 * <p>The protocol is publish-then-check on both sides (Go's "delicate dance", a Dekker pair of
 * volatile accesses):
 * <pre>
 *  arming thread T                          owner O (publishHint)
 *  1. CAS state (QUEUED), push: CAS inbox   1. store hint = nextDeadline()
 *  2. load hint; if d is earlier, CAS it    2. load inbox; if non-empty: drain, recompute,
 *     down to d and call the waker             store again, and repeat
 *                                           3. if the last store is earlier than an earlier
 *                                              store of this publish, call the waker
 * </pre>
 * All four accesses are volatile, so in their total order either O's load (2) sees T's push,
 * and O applies T's request and republishes (waking anyone who read the too-late value it
 * stored in between), or T's load sees O's store and lowers it (waking anyone who read it). If T
 * finds QUEUED already set it does not push, but the node is then still on the inbox (O clears
 * QUEUED only after taking the node, and would then read T's {@code requested}), so the same
 * argument holds. To bound the owner's time under a storm of arming, publish gives up after
 * {@link #MAX_PUBLISH_ROUNDS} drains and stores the owner's {@code now} ("due now"), and wakes.
 *
 * <h2>Rejected designs</h2>
 * <ul>
 *   <li><b>A binary or 4-ary heap</b> (Go's per-P 4-ary timer heap, kept by the Go 1.23
 *       rewrite, which added a per-timer lock): O(log n) per add, reset and delete, each a chain of cache
 *       misses through a large array, and deleted timers linger until they surface (Go counts
 *       them and cleans up). Server timers churn: most timeouts are armed and cancelled without
 *       ever firing, and a wheel does both in O(1). What a heap does better, an exact next
 *       deadline at any distance and ordered firing, a wheel gives up beyond 64 ticks (see
 *       {@link TimerWheel}), which costs a few early wake-ups.</li>
 *   <li><b>A timer thread</b> ({@code ScheduledThreadPoolExecutor}, the JDK's virtual-thread
 *       unparker, Go before 1.14 with its timerproc goroutines): every fire is a cross-thread
 *       hand-off and a context switch, plus a thread that is not a P. Go 1.14 replaced its
 *       timerprocs with per-P heaps run by the scheduler; goloom refuses a timer thread
 *       (DESIGN.md section 5).</li>
 *   <li><b>One global lock</b> around a shared structure ({@code DelayedWorkQueue}): every P
 *       contends on every arm and cancel, and firing under it calls user code with a lock held.
 *       Per-P queues with a lock-free inbox remove both.</li>
 *   <li><b>ConcurrentLinkedQueue as the inbox</b>: allocates a queue node per request and lets a
 *       timer be queued many times; the intrusive stack plus the QUEUED bit does neither.</li>
 * </ul>
 *
 * <h2>Locks</h2>
 * This module takes no lock. {@link TimerNode#fire()} and the {@link Waker} are called with no
 * lock held (goloom's lock order: ARCHITECTURE.md, "Lock order").
 *
 * <h2>Who may call what</h2>
 * Any thread: {@link #schedule}, {@link #reset}, {@link #cancel}, {@link #earliestHint()}.
 * The owner only: {@link #scheduleLocal}, {@link #resetLocal}, {@link #cancelLocal},
 * {@link #runExpired}, {@link #nextDeadline()}, {@link #size()}. The owner may also use the
 * any-thread methods (they take effect at its next drain). A node belongs to one queue at a time.
 */
public final class TimerQueue {

    /** Called when an arming moved the earliest deadline earlier: wake the idle path. */
    @FunctionalInterface
    public interface Waker {
        /**
         * Wake whoever sleeps on this queue's hint, which is now at or before {@code deadline}.
         * Called on the arming (or owner) thread with no lock held; must not block. Spurious
         * calls are possible (a racing fire or cancel may already have removed the timer).
         */
        void wake(long deadline);

        /** A waker that does nothing, for callers that poll or that use schedule's result. */
        Waker NOOP = deadline -> {};
    }

    /** "No deadline": {@link #nextDeadline()} and {@link #earliestHint()} when nothing is pending. */
    public static final long NONE = TimerWheel.NONE;

    /**
     * Drains publishHint may do before it gives up and publishes "due now": enough for the
     * requests that raced with one runExpired, small enough to bound the owner's time when
     * producers never pause. Giving up only costs an early runExpired.
     */
    static final int MAX_PUBLISH_ROUNDS = 4;

    private static final VarHandle INBOX;
    private static final VarHandle HINT;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            INBOX = l.findVarHandle(TimerQueue.class, "inbox", TimerNode.class);
            HINT = l.findVarHandle(TimerQueue.class, "hint", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Owner only. */
    private final TimerWheel wheel;
    /** Immutable. */
    private final Waker waker;
    /** Immutable; the wheel's sink, allocated once so runExpired allocates nothing. */
    private final Consumer<TimerNode> fireSink = this::fireExpired;

    /**
     * Atomic: head of the inbox stack. Producers cas it (pairs with the owner's xchg, which
     * acquires their inboxNext and state writes); the owner xchg's it to null.
     */
    @SuppressWarnings("unused") // accessed through INBOX
    private volatile TimerNode inbox;
    /**
     * Atomic: the earliest-deadline hint. The owner sv's it in publishHint (pairs with the
     * arming threads' lv after their push: the Dekker pair in the class comment); arming threads
     * cas it down.
     */
    @SuppressWarnings("unused") // accessed through HINT
    private volatile long hint = NONE;

    /** Owner only. Timers fired by the current runExpired. */
    private int fired;
    /** Owner only. Re-entrancy guard for runExpired. */
    private boolean running;
    /** Owner only. The node whose fire() runs now (null outside fireExpired), for rearm. */
    private TimerNode firingNode;
    /** Owner only. The state word firingNode was claimed with (phase FIRING). */
    private long firingWord;

    /** A queue over {@code wheel} (which it now owns) that wakes nobody: use schedule's result. */
    public TimerQueue(TimerWheel wheel) {
        this(wheel, Waker.NOOP);
    }

    /** A queue over {@code wheel} (which it now owns) that calls {@code waker} as described. */
    public TimerQueue(TimerWheel wheel, Waker waker) {
        if (wheel == null) throw new NullPointerException("wheel");
        if (waker == null) throw new NullPointerException("waker");
        this.wheel = wheel;
        this.waker = waker;
    }

    // ======================================================================================
    // any thread
    // ======================================================================================

    /**
     * Any thread. Arms {@code t} to fire at {@code deadline} (moving it if it is already armed,
     * as reset does). Returns true iff the deadline lowered the hint, in which case the waker has
     * been called: a caller without a waker must then wake the idle path itself.
     */
    public boolean schedule(TimerNode t, long deadline) {
        armRemote(t, deadline);
        return lowerHint(deadline);
    }

    /**
     * Any thread. Re-arms {@code t} to fire at {@code deadline}, whatever its state (after a
     * fire too, as Go's Reset). Returns true iff an arming was pending, which then never fires.
     * Calls the waker if the deadline lowered the hint.
     */
    public boolean reset(TimerNode t, long deadline) {
        long prev = armRemote(t, deadline);
        lowerHint(deadline);
        return TimerNode.phase(prev) == TimerNode.ARMED;
    }

    /**
     * Any thread. Stops {@code t}: returns true iff this call prevented a fire that would
     * otherwise have happened; false if the timer already fired, is firing, was already stopped,
     * or was never armed (Go's Timer.Stop). A fire under way is not prevented (false), but it is
     * stopped from re-arming: its {@link #rearm} and {@link #stillFiring} then return false, so a
     * periodic timer stopped during its fire stays stopped (TimerNode interleaving 8). O(1); the
     * owner unlinks the node at its next drain.
     */
    public boolean cancel(TimerNode t) {
        long s;
        for (;;) {
            s = t.lvState();
            long phase = TimerNode.phase(s);
            if (phase == TimerNode.FIRING) {
                // Not linked and not QUEUED (the claim needs both): nothing to push. The owner's
                // FIRING -> FIRED and the fire's rearm CAS from the claim's word now fail.
                if (t.casState(s, TimerNode.withPhase(s, TimerNode.CANCELLED))) return false;
                continue;
            }
            if (phase != TimerNode.ARMED) return false;
            // cas: competes with the owner's claim on the same ARMED word: exactly one wins
            // (TimerNode interleaving 1); release publishes nothing else.
            if (t.casState(s, TimerNode.withPhase(s, TimerNode.CANCELLED) | TimerNode.QUEUED)) break;
        }
        if (!TimerNode.queued(s)) push(t);
        return true;
    }

    /**
     * Any thread. A racy lower bound of the earliest pending deadline ({@link #NONE} if none),
     * for a thread that decides how long to sleep without owning the queue. Guarantee (see the
     * class comment): if it returns {@code h} while some armed timer is due before {@code h}, the
     * waker is called after this read. It may be earlier than needed (stale after cancels and
     * fires); a value at or before now means "run the expired timers now".
     */
    public long earliestHint() {
        return lvHint();
    }

    // ======================================================================================
    // owner only
    // ======================================================================================

    /**
     * Owner only. {@link #schedule} without the inbox: links {@code t} into the wheel at once.
     * Returns true iff the deadline lowered the hint (the waker has then been called).
     */
    public boolean scheduleLocal(TimerNode t, long deadline) {
        armLocal(t, deadline);
        return lowerHint(deadline);
    }

    /** Owner only. {@link #reset} without the inbox; returns true iff an arming was pending. */
    public boolean resetLocal(TimerNode t, long deadline) {
        long prev = armLocal(t, deadline);
        lowerHint(deadline);
        return TimerNode.phase(prev) == TimerNode.ARMED;
    }

    /** Owner only. {@link #cancel} that also unlinks {@code t} from the wheel at once, O(1). */
    public boolean cancelLocal(TimerNode t) {
        long s;
        for (;;) {
            s = t.lvState();
            long phase = TimerNode.phase(s);
            if (phase == TimerNode.FIRING) {
                // As in cancel: the fire runs, its re-arm does not; the node is not linked.
                if (t.casState(s, TimerNode.withPhase(s, TimerNode.CANCELLED))) return false;
                continue;
            }
            if (phase != TimerNode.ARMED) return false;
            if (t.casState(s, TimerNode.withPhase(s, TimerNode.CANCELLED))) break;
        }
        wheel.remove(t); // no-op if only on the inbox; the drain then finds CANCELLED, unlinked
        return true;
    }

    /**
     * Owner only, from inside {@code t.fire()}: arms {@code t} again, for a periodic timer (Go's
     * ticker), at the deadline it fired for plus the smallest multiple of {@code period} that is
     * after this runExpired's {@code now} (missed periods are skipped, not replayed, as Go's
     * {@code unlockAndRun} does). It is a CAS from the word this fire was claimed with, so it
     * does nothing and returns false if a cancel or reset reached {@code t} since the claim:
     * that request wins (TimerNode interleaving 8). Returns true if {@code t} is armed again.
     * {@link TimerNode#deadline()} does not show a re-arm made here.
     *
     * @throws IllegalStateException if called outside {@code t}'s own fire()
     * @throws IllegalArgumentException if {@code period} is not positive
     */
    public boolean rearm(TimerNode t, long period) {
        if (t != firingNode) {
            throw new IllegalStateException("timers: rearm outside the timer's own fire(): " + t);
        }
        if (period <= 0) {
            throw new IllegalArgumentException("timers: rearm with a non-positive period " + period + ": " + t);
        }
        long claim = firingWord;
        // cas: competes with cancel (FIRING -> CANCELLED) and with an arming (FIRING ->
        // ARMED|QUEUED, generation+1): exactly one leaves the claim's word. We leave QUEUED clear
        // and link t ourselves; `requested` stays untouched, as a racing arming may be writing it.
        if (!t.casState(claim, TimerNode.armed(claim, false))) return false;
        long now = wheel.now();
        long next = t.deadline + period; // wheel side: the deadline this fire was filed under
        if (next - now <= 0) {
            next += ((now - next) / period + 1) * period;
        }
        wheel.add(t, next); // t is unlinked (advance unlinked it before handing it out)
        return true;
    }

    /**
     * Owner only, from inside {@code t.fire()}: true iff no cancel or reset has reached
     * {@code t} since this fire was claimed. A volatile read of the state word, for a fire that
     * must not deliver a value once a racing stop or reset has returned (see {@code Ticker}).
     *
     * @throws IllegalStateException if called outside {@code t}'s own fire()
     */
    public boolean stillFiring(TimerNode t) {
        if (t != firingNode) {
            throw new IllegalStateException("timers: stillFiring outside the timer's own fire(): " + t);
        }
        return t.lvState() == firingWord;
    }

    /**
     * Owner only; not re-entrant (fire() must not call it). Applies the inbox, advances the wheel
     * to {@code now} and calls {@link TimerNode#fire()} on every timer with
     * {@code deadline - now <= 0}, once per arming, with no lock held; fire() may arm, reset and
     * cancel timers of this queue (what it arms fires at the next runExpired at the earliest).
     * Then publishes the hint. If a fire() throws, its timer counts as fired, the exception
     * propagates after the hint is published, and the timers not yet fired fire at the next
     * runExpired. Returns how many timers fired.
     */
    public int runExpired(long now) {
        return runExpired(now, Integer.MAX_VALUE);
    }

    /**
     * As {@link #runExpired(long)}, but fires at most {@code max} timers; the other due timers
     * stay due (the hint says so) and fire first at the next runExpired. A scheduler passes the
     * room left in the run queue that the fired timers' goroutines go to: firing more would push
     * the surplus to a queue checked less often (in goloom the global queue, where a burst of
     * wake-ups waited for tens of milliseconds behind the next bursts).
     *
     * @throws IllegalArgumentException if {@code max < 0}
     */
    public int runExpired(long now, int max) {
        if (max < 0) throw new IllegalArgumentException("timers: runExpired: max must be >= 0, got " + max);
        if (running) throw new IllegalStateException("TimerQueue.runExpired is not re-entrant");
        running = true;
        fired = 0;
        try {
            drainInbox();
            wheel.advance(now, fireSink, max);
        } finally {
            running = false;
            publishHint();
        }
        return fired;
    }

    /**
     * Owner only. The earliest pending deadline, {@link #NONE} if none, after applying the inbox;
     * exact within 64 ticks, a lower bound beyond (see {@link TimerWheel#nextDeadline()}).
     */
    public long nextDeadline() {
        drainInbox();
        return wheel.nextDeadline();
    }

    /** Owner only. Pending timers, after applying the inbox. */
    public int size() {
        drainInbox();
        return wheel.size();
    }

    /** Owner only; test hook. */
    TimerWheel wheel() {
        return wheel;
    }

    /**
     * Any thread; racy. Are requests (arm, reset, stop from other threads) waiting in the inbox?
     * The owner drains them at its next {@link #runExpired}; a scheduler calls that when this is
     * true even if nothing is due, so timers that are armed and stopped without ever coming due
     * (most timeouts) do not pile up in the inbox until the earliest of them would have fired.
     */
    public boolean hasRequests() {
        return lvInbox() != null;
    }

    /** Test hook: nodes on the inbox now (racy unless producers are quiet). */
    int inboxLength() {
        int n = 0;
        for (TimerNode t = lvInbox(); t != null; t = t.inboxNext) n++;
        return n;
    }

    // ======================================================================================
    // internals
    // ======================================================================================

    /** Arms from any thread: records the request in t's state word and pushes t if needed. */
    private static long armRemote0(TimerNode t, long deadline) {
        long s;
        do {
            s = t.lvState();
            t.soRequested(deadline); // published by the CAS below; see TimerNode interleaving 6
        } while (!t.casState(s, TimerNode.armed(s, true)));
        return s;
    }

    private long armRemote(TimerNode t, long deadline) {
        long prev = armRemote0(t, deadline);
        if (!TimerNode.queued(prev)) push(t); // we set QUEUED: we push (at most once on the inbox)
        return prev;
    }

    /** Arms from the owner: settles t's queued request first, then links t at its deadline. */
    private long armLocal(TimerNode t, long deadline) {
        if (TimerNode.queued(t.lvState())) drainInbox(); // so the wheel and the state word agree
        long s;
        do {
            s = t.lvState();
            t.soRequested(deadline);
        } while (!t.casState(s, TimerNode.armed(s, TimerNode.queued(s))));
        // If QUEUED is still set (a racing arming re-queued t), the next drain re-applies the
        // latest `requested`: ours or the racer's, as interleaving 6 requires.
        wheel.remove(t);
        wheel.add(t, deadline);
        return s;
    }

    /** Pushes t onto the inbox. The caller set t's QUEUED bit, so t is not on the inbox. */
    private void push(TimerNode t) {
        TimerNode h;
        do {
            h = lvInbox();
            t.inboxNext = h; // published by the cas (release); read by the owner after its xchg
        } while (!casInbox(h, t));
    }

    /** Owner only. Applies every queued request; see TimerNode interleavings 3 to 5. */
    private void drainInbox() {
        if (lvInbox() == null) return;
        TimerNode n = xchgInbox(); // acquire: pairs with the producers' push cas
        while (n != null) {
            TimerNode next = n.inboxNext; // read before QUEUED is cleared: a re-push rewrites it
            n.inboxNext = null;
            long s = clearQueued(n);
            long phase = TimerNode.phase(s);
            if (phase == TimerNode.ARMED) {
                long deadline = n.loRequested(); // after our CAS, which follows the arming CAS
                wheel.remove(n);
                wheel.add(n, deadline);
            } else if (phase == TimerNode.CANCELLED) {
                wheel.remove(n);
            } else {
                throw new IllegalStateException("timers: queued node in phase " + TimerNode.describe(s) + ": " + n);
            }
            n = next;
        }
    }

    /**
     * Owner only. Clears QUEUED; returns the word it stored. The cas acquires the arming CAS it
     * follows in the word's order, so a later lo of {@code requested} sees that arming's write.
     */
    private static long clearQueued(TimerNode n) {
        long s;
        do {
            s = n.lvState();
            if (!TimerNode.queued(s)) {
                throw new IllegalStateException("timers: node on the inbox without QUEUED: " + n);
            }
        } while (!n.casState(s, s & ~TimerNode.QUEUED));
        return s & ~TimerNode.QUEUED;
    }

    /** The wheel's sink, on the owner: claim the arming, then fire it outside any lock. */
    private void fireExpired(TimerNode t) {
        long s = t.lvState();
        // Only an ARMED word without QUEUED may fire: QUEUED means a newer request is pending.
        if (s != ((s & TimerNode.GEN_MASK) | TimerNode.ARMED)) return;
        long firing = TimerNode.withPhase(s, TimerNode.FIRING);
        // A failed claim means a racing cancel or reset won (interleavings 1 and 2): it owns t now.
        if (!t.casState(s, firing)) return;
        fired++;
        firingNode = t;
        firingWord = firing;
        try {
            t.fire();
        } finally {
            firingNode = null;
            // Fails iff t was re-armed (by rearm or any arming) or cancelled meanwhile: that
            // request is newer and must be left alone.
            t.casState(firing, TimerNode.withPhase(firing, TimerNode.FIRED));
        }
    }

    /** Lowers the hint to {@code deadline} if earlier; then wakes. Call after the push. */
    private boolean lowerHint(long deadline) {
        long h;
        do {
            h = lvHint(); // the "load hint" of the Dekker pair: after our push
            if (!TimerWheel.before(deadline, h)) return false;
        } while (!casHint(h, deadline));
        waker.wake(deadline);
        return true;
    }

    /** Owner only. Stores the wheel's next deadline, then checks the inbox (class comment). */
    private void publishHint() {
        long stored = wheel.nextDeadline();
        long highest = stored;
        svHint(stored);
        for (int round = 0; lvInbox() != null; round++) {
            if (round == MAX_PUBLISH_ROUNDS) {
                stored = wheel.now(); // "due now": the owner must come back; never oversleeps
                svHint(stored);
                break;
            }
            drainInbox();
            stored = wheel.nextDeadline();
            svHint(stored);
            if (TimerWheel.before(highest, stored)) highest = stored;
        }
        if (TimerWheel.before(stored, highest)) waker.wake(stored); // someone may have read `highest`
    }

    // ---- accessors; prefixes as declared in package-info ----

    private TimerNode lvInbox() {
        return (TimerNode) INBOX.getVolatile(this);
    }

    private boolean casInbox(TimerNode expect, TimerNode update) {
        return INBOX.compareAndSet(this, expect, update);
    }

    private TimerNode xchgInbox() {
        return (TimerNode) INBOX.getAndSet(this, (TimerNode) null);
    }

    private long lvHint() {
        return (long) HINT.getVolatile(this);
    }

    private void svHint(long v) {
        HINT.setVolatile(this, v);
    }

    private boolean casHint(long expect, long update) {
        return HINT.compareAndSet(this, expect, update);
    }
}
