package io.goloom.timers;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A timer: the intrusive node a {@link TimerWheel} links and a {@link TimerQueue} arms, cancels
 * and fires. Subclass it and implement {@link #fire()}; a node is allocated once per timer and
 * reused across armings, so adding and cancelling allocate nothing.
 *
 * <p>A node is used with one wheel or queue at a time. Moving it to another queue needs it to be
 * settled first (not pending, and its last request drained by the old owner).
 *
 * <h2>Fields and their guards</h2>
 * The wheel-side fields ({@code deadline}, {@code tick}, {@code prev}, {@code next},
 * {@code where}) belong to the owner of the wheel the node is linked into and are accessed
 * plainly. The queue-side fields are shared: {@code state} is the one atomic word every thread
 * may CAS; {@code requested} and {@code inboxNext} are published by it or by the inbox CAS (see
 * each field).
 *
 * <h2>The state word</h2>
 * <pre>
 *  bit 63 ............................ 4 | 3      | 2 .. 0
 *       generation: number of armings     | QUEUED | phase
 * </pre>
 * The generation grows by one at every arming (schedule/reset), so every arming CAS changes
 * the word: 2^60 armings never wrap, and two armings can never both succeed against the same
 * snapshot (see "requested" below). QUEUED says the node sits on its queue's inbox stack;
 * whoever sets it pushes the node and only the owner clears it, so a node is on the inbox at
 * most once. The phases (settled ones end in -ED, as in {@code VirtualThread}):
 *
 * <pre>
 *  phase      armed  linked into the wheel?            who moves it next
 *  IDLE       no     no                                any arming thread
 *  ARMED      yes    if QUEUED: maybe, at a stale      the owner (claim, drain), any thread
 *                    deadline, or in the inbox only;   (cancel, reset)
 *                    if not QUEUED: yes, at `requested`
 *  FIRING     no     no (the owner unlinked it)        the owner (FIRED, or rearm from inside
 *                                                      fire()), any arming thread, any cancel
 *  FIRED      no     no                                any arming thread
 *  CANCELLED  no     if QUEUED: maybe (owner unlinks   any arming thread
 *                    it when it drains the inbox)
 *
 *  transition                         made by              how
 *  IDLE|FIRED|CANCELLED|FIRING        any thread: arm      CAS, generation+1, QUEUED set; push
 *     -> ARMED|QUEUED                 (schedule, reset)    unless QUEUED was already set
 *  ARMED(|Q) -> ARMED|QUEUED          any thread: re-arm   same CAS; push unless QUEUED
 *  any -> ARMED (QUEUED kept)         owner: armLocal      CAS, generation+1; the owner links it
 *  ARMED(|Q) -> CANCELLED|QUEUED      any thread: cancel   CAS; push unless QUEUED
 *  ARMED(|Q) -> CANCELLED (Q kept)    owner: cancelLocal   CAS; the owner unlinks it
 *  X|QUEUED -> X                      owner: drain         CAS; X is ARMED or CANCELLED
 *  ARMED (not QUEUED) -> FIRING       owner: claim         CAS; the only way to FIRING
 *  FIRING -> CANCELLED                any thread: cancel   CAS; cancel returns false (the fire
 *                                                          runs) but the fire's rearm now fails
 *  FIRING -> ARMED                    owner: rearm, inside CAS from the claim's exact word,
 *                                     fire() (periodic)    generation+1; the owner links it
 *  FIRING -> FIRED                    owner, after fire()  CAS; fails iff fire() or a racing
 *                                                          thread re-armed or cancelled it (that
 *                                                          request wins)
 * </pre>
 * Invariants: QUEUED implies ARMED or CANCELLED; FIRING is never QUEUED and never linked; a node
 * in the wheel is ARMED or CANCELLED|QUEUED; FIRING happens at most once per generation (the
 * claim needs ARMED, and nothing but an arming or a rearm, which bump the generation, leads back
 * to ARMED).
 *
 * <h2>Interleavings</h2>
 * T1, T2 are non-owner threads; O is the owner inside {@code runExpired}.
 * <pre>
 *  1. cancel vs fire.   O: the wheel hands out node n (expired; n is now unlinked).
 *     T1: cancel(n): CAS ARMED -> CANCELLED|QUEUED     O: claim: CAS ARMED -> FIRING
 *     Both CAS the same word from the same ARMED value; exactly one wins.
 *     - T1 wins: cancel returns true; O's claim fails, fire() does not run; O later drains n,
 *       finds CANCELLED and n already unlinked: nothing to do.
 *     - O wins: T1 CASes FIRING -> CANCELLED and returns false ("already fired"); fire()
 *       runs once, and cannot re-arm (interleaving 8).
 *  2. reset vs fire.    T1: reset(n, d2): CAS ARMED -> ARMED|QUEUED (gen+1), push
 *     - T1 first: O's claim CAS fails (the word changed, and QUEUED is set); n stays unlinked;
 *       O's next drain links n at d2. The old arming never fires; reset returns true.
 *     - O first: T1 sees FIRING, re-arms: FIRING -> ARMED|QUEUED (gen+1), push, returns false.
 *       fire() runs for the old arming; O's FIRING -> FIRED CAS fails and leaves the new
 *       arming alone; the new arming fires at d2, once.
 *  3. reset twice before the owner drains.
 *     T1: reset(n, d1): IDLE -> ARMED|QUEUED, push     T2: reset(n, d2): sees QUEUED, CAS keeps
 *     it set, no push. n is on the inbox once; O clears QUEUED, then reads `requested`: d2 (or
 *     d1 if T2's write came later than O's read, in which case T2's CAS fails on the cleared
 *     word, T2 retries, pushes again, and O applies d2 at its next drain).
 *  4. cancel while still in the inbox (never reached the wheel).
 *     T1: schedule: IDLE -> ARMED|QUEUED, push   T2: cancel: ARMED|QUEUED -> CANCELLED|QUEUED,
 *     returns true, no push   O: drain: clear QUEUED, CANCELLED, n not linked: drop it.
 *     A schedule between T2 and O goes CANCELLED|QUEUED -> ARMED|QUEUED without a push.
 *  5. drain vs re-push.  O pops n: reads n.inboxNext, clears it, then clears QUEUED by CAS.
 *     T1 arms n after that CAS: it sees QUEUED clear and pushes n again, overwriting inboxNext,
 *     which O no longer needs. T1 arms n before that CAS: O's CAS fails, O retries on T1's
 *     word and then reads T1's `requested`.
 *  6. two concurrent armings.  T1 and T2 both write `requested` and then CAS from the same
 *     snapshot: the generation makes the second CAS fail, so the loser writes `requested`
 *     again and retries. Hence the last write to `requested` belongs to the last successful
 *     arming CAS, and the owner applies the deadline of one of the armings (the last).
 *  7. cancel from inside another timer's fire().  A and B expire in the same runExpired; O
 *     claims A and calls A.fire(), which cancels B. B is still in the wheel's expired list,
 *     ARMED: cancel wins (true) and B's claim later fails (cancel) or B is unlinked at once
 *     (cancelLocal). If B was handed out before A, B already fired and cancel returns false.
 *  8. periodic re-arm vs stop and reset (Go 1.23: no tick after Ticker.Stop returns; a Reset
 *     racing a fire takes effect).  O claimed n with word w (FIRING, generation g) and runs
 *     n.fire(), which ends with rearm(n, period): CAS w -> ARMED (g+1), then links n.
 *     T1: cancel(n): CAS w -> CANCELLED (g)       T2: reset(n, d2): CAS w -> ARMED|QUEUED (g+1)
 *     All three CAS from w; exactly one wins. If T1 or T2 wins, rearm fails and n stays
 *     cancelled, or armed at d2 by T2's drain; stillFiring(n) (a load of the word) turns false
 *     at the same instant, which is what a fire that sends on a channel checks. If rearm wins,
 *     T1 and T2 act on the new ARMED word as in interleavings 1 and 2. Before this rule, cancel
 *     returned at FIRING without touching the word and the fire re-armed after it: a stopped
 *     ticker ticked forever, and a reset was overwritten by the fire's own re-arm.
 *     rearm does not write `requested`: a racing arming writes it before its CAS, and a late
 *     write of ours could pair its CAS with our deadline (interleaving 6).
 * </pre>
 */
public abstract class TimerNode {

    // ---- state word layout (see the class comment) ----
    /** Bits 0..2. */
    static final long PHASE_MASK = 0b111L;
    /** Never armed. */
    static final long IDLE = 0;
    /** Armed: will fire at its deadline unless cancelled or reset first. */
    static final long ARMED = 1;
    /** Claimed by the owner for firing; fire() is running or about to run. */
    static final long FIRING = 2;
    /** fire() returned for the last arming. */
    static final long FIRED = 3;
    /** The last arming was cancelled before it fired. */
    static final long CANCELLED = 4;
    /** Bit 3: the node is on its queue's inbox stack (at most once). */
    static final long QUEUED = 1L << 3;
    /** Bits 4..63: the arming count. */
    static final int GEN_SHIFT = 4;
    static final long GEN_ONE = 1L << GEN_SHIFT;
    static final long GEN_MASK = -GEN_ONE;

    private static final String[] PHASE_NAMES = {"IDLE", "ARMED", "FIRING", "FIRED", "CANCELLED"};

    private static final VarHandle STATE;
    private static final VarHandle REQUESTED;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(TimerNode.class, "state", long.class);
            REQUESTED = l.findVarHandle(TimerNode.class, "requested", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- wheel side: owner of the wheel the node is linked into; plain accesses ----
    /** Owner only: the deadline (nanos) the wheel files this node under. */
    long deadline;
    /** Owner only: floor((deadline - origin) / tick) of the wheel the node is linked into. */
    long tick;
    /** Owner only: links of the wheel list the node is in; null when detached. */
    TimerNode prev, next;
    /** Owner only: which wheel list the node is in, or {@link TimerWheel#DETACHED}. */
    int where = TimerWheel.DETACHED;

    // ---- queue side ----
    /**
     * Next node on the inbox stack. Written plainly by the pushing thread while it holds the
     * QUEUED bit and before its inbox CAS (release), which publishes it; read and cleared by
     * the owner after its inbox getAndSet (acquire) and before it clears QUEUED, after which a
     * new pusher may write it again.
     */
    TimerNode inboxNext;
    /**
     * The deadline of the latest arming, in nanos. Any arming thread writes it (so) before its
     * arming CAS on {@code state}; the owner reads it (lo) after its own CAS that clears QUEUED,
     * which orders the read after the arming CAS. Opaque/release rather than plain only so a
     * racing write and read of this long are never torn.
     */
    @SuppressWarnings("unused") // accessed through REQUESTED
    private long requested;
    /** Atomic (VarHandle STATE); see the class comment. Every transition is a CAS on it. */
    @SuppressWarnings("unused") // accessed through STATE
    private volatile long state;

    /** For subclasses; the node starts IDLE and detached. */
    protected TimerNode() {}

    /**
     * Called by the owner of the queue, exactly once per arming that was neither cancelled nor
     * superseded, and never before its deadline. Runs on the owner's thread with no lock held,
     * inside {@link TimerQueue#runExpired}; it may schedule, reset or cancel any timer of the
     * same queue (including this one, as a ticker does), but must not call runExpired. Keep it
     * short: it delays the other expired timers and the owner's scheduling loop.
     */
    protected abstract void fire();

    /** A timer that runs {@code action} when it fires; one allocation per timer, none per use. */
    public static TimerNode of(Runnable action) {
        if (action == null) throw new NullPointerException("action");
        return new RunnableTimer(action);
    }

    /**
     * The deadline of the latest arming by schedule or reset (nanos), or 0 if never armed; a
     * periodic {@link TimerQueue#rearm} is not shown. Racy: a snapshot.
     */
    public final long deadline() {
        return loRequested();
    }

    /**
     * Whether the latest arming is still pending (neither fired nor cancelled). Racy: a snapshot
     * that may be stale as soon as it returns.
     */
    public final boolean isPending() {
        return phase(lvState()) == ARMED;
    }

    /**
     * Whether a fire of this node is under way (claimed and neither finished nor overtaken by a
     * cancel, reset or re-arm). Racy: a snapshot that may be stale as soon as it returns.
     */
    public final boolean isFiring() {
        return phase(lvState()) == FIRING;
    }

    @Override
    public String toString() {
        long s = lvState();
        return getClass().getSimpleName() + "[" + describe(s) + ", deadline=" + loRequested() + "]";
    }

    // ---- accessors; prefixes as declared in package-info ----

    final long lvState() {
        return (long) STATE.getVolatile(this);
    }

    final boolean casState(long expect, long update) {
        return STATE.compareAndSet(this, expect, update);
    }

    final long loRequested() {
        return (long) REQUESTED.getOpaque(this);
    }

    final void soRequested(long deadline) {
        REQUESTED.setRelease(this, deadline);
    }

    // ---- state word helpers ----

    static long phase(long s) {
        return s & PHASE_MASK;
    }

    static boolean queued(long s) {
        return (s & QUEUED) != 0;
    }

    /** The word after an arming from {@code s}: next generation, ARMED, QUEUED as given. */
    static long armed(long s, boolean queued) {
        return ((s & GEN_MASK) + GEN_ONE) | (queued ? QUEUED : 0) | ARMED;
    }

    /** {@code s} with its phase replaced; generation and QUEUED kept. */
    static long withPhase(long s, long phase) {
        return (s & ~PHASE_MASK) | phase;
    }

    static String describe(long s) {
        int p = (int) phase(s);
        String name = p < PHASE_NAMES.length ? PHASE_NAMES[p] : "phase" + p;
        return name + (queued(s) ? "|QUEUED" : "") + " gen=" + (s >>> GEN_SHIFT);
    }

    private static final class RunnableTimer extends TimerNode {
        private final Runnable action; // immutable

        RunnableTimer(Runnable action) {
            this.action = action;
        }

        @Override
        protected void fire() {
            action.run();
        }
    }
}
