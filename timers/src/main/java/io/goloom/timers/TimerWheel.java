package io.goloom.timers;

import java.util.function.Consumer;

/**
 * A hierarchical timing wheel for a single owner; NOT thread safe: every method must be called by
 * the wheel's current owner, and passing ownership to another thread needs a happens-before edge
 * (in goloom, a P changing hands). {@link TimerQueue} adds the cross-thread inbox.
 *
 * <h2>Goals</h2>
 * <ul>
 *   <li>O(1) add and remove with no allocation: nodes are intrusive ({@link TimerNode}), slot
 *       lists are doubly linked.</li>
 *   <li>Empty slots cost nothing: each level keeps a 64-bit occupancy word, and the next
 *       non-empty slot is one {@code numberOfTrailingZeros}. {@link #advance} over an idle
 *       wheel does O(levels) work however much time passed (a year in one call included).</li>
 *   <li>Exact firing: a timer fires in {@code advance(now)} iff {@code deadline - now <= 0},
 *       compared in nanos, not in ticks. Never early; late only by the caller's lag in calling
 *       advance. A deadline at or before the last {@code now} (zero or negative delay) fires
 *       at the next advance.</li>
 *   <li>No deadline is ever lost: beyond the top level's range timers wait in an overflow
 *       list and are re-filed as time approaches.</li>
 * </ul>
 *
 * <h2>Time</h2>
 * Times are {@code long} nanos from one monotonic source ({@code System.nanoTime} style), with
 * an arbitrary origin that may wrap: raw times are only ever compared by subtraction
 * ({@code a - b <= 0}), so any two times in use must be within 2^63 ns (292 years) of each
 * other. Internally a time becomes a tick, {@code floor((t - origin) / tickNanos)}, where
 * {@code origin} is the {@code now} given to the constructor; ticks are non-negative counts and
 * are compared with {@code <}; a wheel's life is limited to 2^63 ns (292 years) of ticks. {@link #NONE} ({@code Long.MAX_VALUE}) means "no deadline"; a real
 * deadline equal to it is reported as none.
 *
 * <h2>Levels (the Tokio math)</h2>
 * Level {@code l} has 64 slots of {@code 64^l} ticks; its slots index bits {@code 6l..6l+5} of the
 * tick number. {@code elapsed} is the tick of the last {@code now}. A timer for tick {@code t >
 * elapsed} goes to the level of the highest bit in which {@code t} and {@code elapsed} differ
 * ({@code (63 - nlz((elapsed ^ t) | 63)) / 6}), in slot {@code (t >>> 6l) & 63}. So a level-l
 * timer shares every bit above {@code 6l+5} with {@code elapsed}, its slot is ahead of
 * elapsed's slot on that level, and every timer on a lower level is due strictly earlier: the
 * earliest timer is always in the first occupied slot, counted from elapsed's slot, of the
 * lowest non-empty level. The top level is a true ring: it takes any tick whose top-level slot
 * is 1..63 slots ahead of elapsed's, and slot positions are counted modulo 64 from there.
 * With the defaults (1 ms tick, 6 levels):
 * <pre>
 *  level  slot width        level span (64 slots)
 *  0      1 ms              64 ms
 *  1      64 ms             4.096 s
 *  2      4.096 s           262 s      (~4.4 min)
 *  3      262 s             16 777 s   (~4.7 h)
 *  4      ~4.7 h            ~12.4 days
 *  5      ~12.4 days        ~795 days  (~2.18 years)
 *  overflow list            deadlines whose top slot is 64 or more top slots ahead: a
 *                           deadline under ~2.14 years (63 top slots) ahead is never there,
 *                           one over ~2.18 years (64 top slots) ahead always is
 * </pre>
 * When time reaches a slot of level {@code l > 0} ("cascading"), its timers are re-filed against
 * the new elapsed, which puts each of them on a lower level (or fires it); a timer thus moves
 * at most {@code levels - 1} times and is never fired early, since firing compares its exact
 * deadline. Overflow timers are re-examined only when elapsed reaches the point where the
 * earliest of them fits the top ring (a tick kept as a lower bound, see {@link #overflowMinTick}).
 *
 * <h2>The current tick</h2>
 * Timers whose tick is elapsed itself (due later within the current tick) live in a list sorted
 * by deadline, so repeated advances within one tick pop due timers from its head instead of
 * rescanning a slot. When advance enters a new tick, the leftover timers of that tick are merge
 * sorted into it (O(k log k), no allocation). Order of firing within a tick is otherwise
 * unspecified, as in Agrona's wheel: do not rely on it.
 *
 * <h2>Why a 1 ms tick</h2>
 * The tick is a bucket width, not the firing precision (firing compares nanos). 1 ms matches the
 * precision Go and Tokio deliver: Tokio's wheel rounds deadlines up to the millisecond, and Go's
 * Linux netpoller sleeps in whole milliseconds ({@code epoll_wait} takes ms; a sub-ms delay
 * rounds up to 1 ms), so finer idle sleeps are not achievable there anyway. A finer tick costs:
 * more levels for the same horizon (6 bits each: a 1 us tick needs 8 levels to reach 2
 * years), more cascades per timer (a timer d ticks away moves about log64(d) times), more
 * frequent cascade work (level 1 turns every 64 ticks), and {@link #nextDeadline()} is exact
 * only within the current 64-tick block (64 us at 1 us). A coarser tick makes the sorted current-tick list longer. Configure it in the
 * constructor; the tests use 1 us and 2-level wheels to reach the overflow quickly.
 *
 * <h2>nextDeadline: exact, then a lower bound</h2>
 * {@link #nextDeadline()} is exact when the earliest deadline lies in the current tick or on
 * level 0, that is in the current 64-tick block (at 1 ms: at most 64 ms ahead). Beyond that it
 * returns the start of the earliest occupied slot: never later than the earliest deadline and
 * always later than {@code now}. An idle thread sleeping until it therefore wakes early at most
 * once per level on the timer's way down (at most {@code levels - 1} early wake-ups, each early
 * by less than one slot width of its level), after which advance has cascaded the slot and the
 * next answer is finer. Making it exact at every level would mean scanning a coarse
 * slot, which can hold every timer of a 4-second window, after each advance that fires or
 * cancels the earliest timer: exactly the timeout-churn workload the wheel exists for (Tokio makes
 * the same choice). The answer is cached and recomputed only after something was removed or
 * advance moved timers.
 *
 * <h2>Rejected designs</h2>
 * See {@link TimerQueue} (heap, timer thread, global lock).
 *
 * <h2>Structural invariants</h2> (checked by {@link #checkInvariants()} in tests)
 * <ol>
 *   <li>Every linked node is in exactly one list and {@code where} names it; occupancy bit
 *       {@code (l, s)} is set iff slot {@code (l, s)} is non-empty; {@code size} counts the
 *       linked nodes.</li>
 *   <li>A node in slot {@code (l, s)} has {@code tick > elapsed}, level {@code l} for
 *       {@code (elapsed, tick)} (for the top level: 1..63 top slots ahead) and slot {@code s}.
 *       Hence the slot under elapsed is empty on every level.</li>
 *   <li>The current list is sorted by deadline (by subtraction) and holds only nodes with
 *       {@code tick <= elapsed} or added when already due.</li>
 *   <li>Overflow nodes are 64 or more top slots ahead of elapsed and have
 *       {@code tick >= overflowMinTick}.</li>
 *   <li>The expired list holds only due nodes ({@code deadline <= lastNow}); it is non-empty only
 *       while {@link #advance} hands nodes to its sink, after a sink threw, or after an advance
 *       stopped at its {@code max} (the next advance hands the rest out first).</li>
 * </ol>
 */
public final class TimerWheel {

    // ---- geometry ----
    /** Bits of the tick number per level: one 64-bit occupancy word per level (as Tokio). */
    static final int SLOT_BITS = 6;
    /** Slots per level. */
    static final int SLOTS = 1 << SLOT_BITS;
    /** Mask of a slot index. */
    static final long SLOT_MASK = SLOTS - 1;
    /** Default levels: 6 x 6 = 36 bits of ticks, 2^36 ms ~ 2.18 years at the default tick. */
    public static final int DEFAULT_LEVELS = 6;
    /** Most levels allowed: 10 x 6 = 60 bits keeps every shift of a tick below 64. */
    public static final int MAX_LEVELS = 10;
    /**
     * The span of the slots, {@code tickNanos * 64^levels}, must stay below 2^62 ns (146 years) so
     * that a slot start converted back to nanos cannot overflow (with 1 ms: at most 7 levels).
     */
    static final int MAX_SPAN_BITS = 62;
    /** Default tick, in nanos: 1 ms (see "Why a 1 ms tick"). */
    public static final long DEFAULT_TICK_NANOS = 1_000_000L;
    /** "No deadline": returned by {@link #nextDeadline()} when nothing is pending. */
    public static final long NONE = Long.MAX_VALUE;

    /** {@link TimerNode#where} of a node in no list. */
    static final int DETACHED = -1;

    // ---- configuration: immutable ----
    private final long tickNanos;
    private final int levels;
    /** Shift of the top level: 6 * (levels - 1). */
    private final int topShift;
    /** The time of tick 0: the constructor's {@code now}. */
    private final long origin;
    /** List indices after the level slots ({@code level * 64 + slot}). */
    private final int current, expired, overflow;

    // ---- owner only: the lists ----
    /** Owner only. Heads and tails of every list: level slots, then current, expired, overflow. */
    private final TimerNode[] heads, tails;
    /** Owner only. Per level, bit s set iff slot s is non-empty. */
    private final long[] occupied;
    /** Owner only. Head of the singly linked chain (via next) built during a catch-up. */
    private TimerNode pending;

    // ---- owner only: time and counters ----
    /** Owner only. The last {@code now} given to advance (or the constructor). */
    private long lastNow;
    /** Owner only. The tick everything before which has been processed; tick of lastNow. */
    private long elapsed;
    /** Owner only. Lower bound of the ticks in the overflow list (stale-low after removals). */
    private long overflowMinTick = Long.MAX_VALUE;
    /** Owner only. Linked nodes. */
    private int size;
    /** Owner only. Cached nextDeadline(), valid iff nextValid. */
    private long nextCache;
    private boolean nextValid;
    /** Owner only. Re-entrancy guard: set while advance runs (its sink included). */
    private boolean advancing;
    /** Owner only. Lists (slots and overflow) processed by advance, for tests: work, not time. */
    long slotVisits;

    /** A wheel with the default geometry (1 ms tick, 6 levels) whose time starts at {@code now}. */
    public TimerWheel(long now) {
        this(now, DEFAULT_TICK_NANOS, DEFAULT_LEVELS);
    }

    /** A wheel with a {@code tickNanos} tick and 6 levels whose time starts at {@code now}. */
    public TimerWheel(long now, long tickNanos) {
        this(now, tickNanos, DEFAULT_LEVELS);
    }

    /**
     * A wheel with a {@code tickNanos} tick and {@code levels} levels of 64 slots whose time
     * starts at {@code now}: deadlines up to about {@code tickNanos * 64^levels} ahead are filed
     * in slots, later ones in the overflow list.
     */
    public TimerWheel(long now, long tickNanos, int levels) {
        if (tickNanos <= 0) throw new IllegalArgumentException("tickNanos must be positive: " + tickNanos);
        if (levels < 1 || levels > MAX_LEVELS) {
            throw new IllegalArgumentException("levels must be in 1.." + MAX_LEVELS + ": " + levels);
        }
        if (SLOT_BITS * levels + (64 - Long.numberOfLeadingZeros(tickNanos)) > MAX_SPAN_BITS) {
            throw new IllegalArgumentException("span tickNanos * 64^levels must stay below 2^" + MAX_SPAN_BITS
                    + " ns: tickNanos=" + tickNanos + " levels=" + levels);
        }
        this.tickNanos = tickNanos;
        this.levels = levels;
        this.topShift = SLOT_BITS * (levels - 1);
        this.origin = now;
        this.lastNow = now;
        int slots = levels * SLOTS;
        this.current = slots;
        this.expired = slots + 1;
        this.overflow = slots + 2;
        this.heads = new TimerNode[slots + 3];
        this.tails = new TimerNode[slots + 3];
        this.occupied = new long[levels];
        this.nextCache = NONE;
        this.nextValid = true;
    }

    // ======================================================================================
    // API (owner only)
    // ======================================================================================

    /**
     * Owner only. Files {@code t}, which must not be linked, to fire at {@code deadline}; a deadline
     * at or before the last advance's {@code now} fires at the next advance. O(1) except when the
     * deadline falls in the current tick (sorted insert, usually O(1) at either end).
     */
    public void add(TimerNode t, long deadline) {
        if (t.where != DETACHED) {
            throw new IllegalStateException("timer is already in a wheel: " + t);
        }
        t.deadline = deadline;
        size++;
        if (deadline - lastNow <= 0) {
            t.tick = elapsed;
            linkCurrent(t);
        } else {
            long tick = tickOf(deadline);
            t.tick = tick;
            if (tick == elapsed) linkCurrent(t);
            else linkWheel(t);
        }
        // A new earliest timer makes the cache exact; a later one leaves it valid (a level-l
        // timer is never earlier than a cached lower bound of a level above it: see class doc).
        if (nextValid && before(deadline, nextCache)) nextCache = deadline;
    }

    /**
     * Owner only. Unlinks {@code t} in O(1); returns whether it was linked (false if it already
     * fired or was never added). Safe from inside advance's sink.
     */
    public boolean remove(TimerNode t) {
        int w = t.where;
        if (w == DETACHED) return false;
        unlink(t);
        size--;
        nextValid = false;
        return true;
    }

    /**
     * Owner only; not re-entrant. Moves time to {@code now} (a {@code now} before the last one
     * counts as the last one: time never goes back) and hands every timer with
     * {@code deadline - now <= 0} to {@code sink}, once, after unlinking it and after the wheel is
     * consistent again, so the sink may add and remove timers (including ones still waiting to be
     * handed out, which are then not handed out). A timer added by the sink fires at the next
     * advance at the earliest. If the sink throws, the timers not yet handed out stay due and are
     * handed out by the next advance. Returns how many timers were handed out.
     * Work: O(levels) per occupied slot reached plus O(1) per timer moved; no work per empty tick.
     */
    public int advance(long now, Consumer<? super TimerNode> sink) {
        return advance(now, sink, Integer.MAX_VALUE);
    }

    /**
     * As {@link #advance(long, Consumer)}, but hands at most {@code max} timers to the sink; the
     * other due timers stay due, in the order they came due, and are handed out first by the next
     * advance ({@link #nextDeadline()} reports them due meanwhile). {@code max} 0 only moves time.
     * For a sink whose consumer has room for only so many (goloom: the free slots of the run
     * queue the fired timers' goroutines go to).
     *
     * @throws IllegalArgumentException if {@code max < 0}
     */
    public int advance(long now, Consumer<? super TimerNode> sink, int max) {
        if (max < 0) throw new IllegalArgumentException("timers: advance: max must be >= 0, got " + max);
        if (advancing) throw new IllegalStateException("TimerWheel.advance is not re-entrant");
        advancing = true;
        try {
            if (now - lastNow < 0) now = lastNow;
            lastNow = now;
            boolean moved = collectCurrent(now);
            long nowTick = tickOf(now);
            if (nowTick != elapsed) moved |= catchUp(now, nowTick);
            if (moved) nextValid = false;
            return drainExpired(sink, max);
        } finally {
            advancing = false;
        }
    }

    /**
     * Owner only. The earliest pending deadline, {@link #NONE} if there is none. Exact when it is
     * within the current 64-tick block; otherwise the start of the earliest occupied slot, which
     * is later than the last {@code now} and not later than the earliest deadline (see the class
     * comment). May be at or before the last {@code now} when timers are due.
     */
    public long nextDeadline() {
        if (!nextValid) {
            nextCache = computeNext();
            nextValid = true;
        }
        return nextCache;
    }

    /** Owner only. Timers linked into the wheel (due ones not yet handed out included). */
    public int size() {
        return size;
    }

    /** Owner only. The last {@code now} passed to {@link #advance} (or to the constructor). */
    public long now() {
        return lastNow;
    }

    /** The tick width, in nanos. */
    public long tickNanos() {
        return tickNanos;
    }

    /** The number of levels. */
    public int levels() {
        return levels;
    }

    // ---- test hooks (package-private) ----

    long origin() {
        return origin;
    }

    long elapsedTick() {
        return elapsed;
    }

    /** Whether {@code t} is linked into a list of this wheel (by its {@code where} code). */
    boolean linked(TimerNode t) {
        return t.where != DETACHED;
    }

    // ======================================================================================
    // advance
    // ======================================================================================

    /** Moves the due prefix of the current list to the expired list; true if any moved. */
    private boolean collectCurrent(long now) {
        TimerNode h = heads[current];
        if (h == null || h.deadline - now > 0) return false;
        do {
            TimerNode n = h.next;
            unlink(h);
            linkBack(expired, h);
            h = n;
        } while (h != null && h.deadline - now <= 0);
        return true;
    }

    /**
     * Processes, in time order, every occupied slot and overflow refill point up to
     * {@code nowTick}, then sets elapsed to nowTick. Returns whether anything was processed.
     */
    private boolean catchUp(long now, long nowTick) {
        boolean moved = false;
        for (;;) {
            long slotStart = Long.MAX_VALUE;
            int idx = -1;
            for (int l = 0; l < levels; l++) {
                long occ = occupied[l];
                if (occ != 0) {
                    int shift = l * SLOT_BITS;
                    long pos = elapsed >>> shift;
                    int dist = Long.numberOfTrailingZeros(Long.rotateRight(occ, (int) (pos & SLOT_MASK)));
                    // dist 0 would move elapsed back: elapsed's own slot is empty (invariant 2)
                    if (dist == 0) throw new IllegalStateException("timers: slot under elapsed occupied: level "
                            + l + " elapsed=" + elapsed + " occupied=" + Long.toHexString(occ));
                    slotStart = (pos + dist) << shift;
                    idx = (l << SLOT_BITS) | (int) ((pos + dist) & SLOT_MASK);
                    break; // lower levels are strictly earlier (class comment)
                }
            }
            long refill = heads[overflow] == null ? Long.MAX_VALUE : refillTick();
            if (slotStart <= refill) {
                if (slotStart > nowTick) break;
                elapsed = slotStart;
                processSlot(idx, now, nowTick);
            } else {
                if (refill > nowTick) break;
                elapsed = refill;
                refillOverflow(now, nowTick);
            }
            moved = true;
        }
        elapsed = nowTick;
        if (pending != null) installPending();
        return moved;
    }

    /** Empties slot {@code idx} (elapsed is its start) and re-files or fires its timers. */
    private void processSlot(int idx, long now, long nowTick) {
        slotVisits++;
        TimerNode n = heads[idx];
        heads[idx] = tails[idx] = null;
        occupied[idx >>> SLOT_BITS] &= ~(1L << (idx & SLOT_MASK));
        while (n != null) {
            TimerNode next = n.next;
            n.prev = n.next = null;
            n.where = DETACHED;
            place(n, now, nowTick);
            n = next;
        }
    }

    /** Empties the overflow list (elapsed is its refill point) and re-files what now fits. */
    private void refillOverflow(long now, long nowTick) {
        slotVisits++;
        TimerNode n = heads[overflow];
        heads[overflow] = tails[overflow] = null;
        overflowMinTick = Long.MAX_VALUE;
        long top = elapsed >>> topShift;
        while (n != null) {
            TimerNode next = n.next;
            n.prev = n.next = null;
            n.where = DETACHED;
            if ((n.tick >>> topShift) - top < SLOTS) place(n, now, nowTick);
            else linkOverflow(n);
            n = next;
        }
    }

    /**
     * The first elapsed at which the earliest overflow timer fits the top ring: its top slot at
     * most 63 ahead. Never before elapsed.
     */
    private long refillTick() {
        long fit = ((overflowMinTick >>> topShift) - (SLOTS - 1)) << topShift;
        return Math.max(fit, elapsed);
    }

    /** During a catch-up: fire, keep for the current tick, or re-file an unlinked node. */
    private void place(TimerNode n, long now, long nowTick) {
        if (n.deadline - now <= 0) {
            linkBack(expired, n);
        } else if (n.tick == nowTick) {
            n.next = pending; // sorted into the current list when the catch-up ends
            pending = n;
        } else {
            assert n.tick > nowTick : "timers: ripe timer not fired: tick=" + n.tick + " nowTick=" + nowTick;
            linkWheel(n);
        }
    }

    /** Ends a catch-up: the leftover timers of the new current tick become the current list. */
    private void installPending() {
        if (heads[current] != null) {
            // Entering a new tick fired every timer of the old one (their deadlines precede it).
            throw new IllegalStateException("timers: current list not empty on a new tick: " + heads[current]);
        }
        TimerNode h = sort(pending);
        pending = null;
        TimerNode prev = null;
        for (TimerNode n = h; n != null; n = n.next) {
            n.prev = prev;
            n.where = current;
            prev = n;
        }
        heads[current] = h;
        tails[current] = prev;
    }

    /** Unlinks the expired list, up to max nodes, one node at a time into the sink; see advance. */
    private int drainExpired(Consumer<? super TimerNode> sink, int max) {
        int handed = 0;
        TimerNode t;
        while (handed < max && (t = heads[expired]) != null) {
            unlink(t);
            size--;
            nextValid = false;
            handed++;
            sink.accept(t);
        }
        return handed;
    }

    // ======================================================================================
    // nextDeadline
    // ======================================================================================

    private long computeNext() {
        // Due timers not handed out yet (inside a sink, after a sink threw, or beyond an advance's
        // max): every one is due (deadline <= lastNow), and the head came due first or within the
        // same tick (the list fills in time order), so it stands for all: O(1), not a walk of a
        // list that may hold a whole burst.
        TimerNode e = heads[expired];
        if (e != null) return e.deadline;
        long best = NONE;
        TimerNode c = heads[current];
        if (c != null && before(c.deadline, best)) best = c.deadline;
        if (best != NONE) return best;
        for (int l = 0; l < levels; l++) {
            long occ = occupied[l];
            if (occ == 0) continue;
            int shift = l * SLOT_BITS;
            long pos = elapsed >>> shift;
            int dist = Long.numberOfTrailingZeros(Long.rotateRight(occ, (int) (pos & SLOT_MASK)));
            if (l > 0) return origin + ((pos + dist) << shift) * tickNanos; // lower bound
            return minDeadline(heads[(int) ((pos + dist) & SLOT_MASK)]); // one tick's timers
        }
        return minDeadline(heads[overflow]); // only when every level is empty; rare and short
    }

    private static long minDeadline(TimerNode n) {
        long best = NONE;
        for (; n != null; n = n.next) {
            if (before(n.deadline, best)) best = n.deadline;
        }
        return best;
    }

    /** Whether {@code a} is strictly earlier than {@code b}; {@link #NONE} is later than all. */
    static boolean before(long a, long b) {
        if (a == NONE) return false;
        if (b == NONE) return true;
        return a - b < 0;
    }

    // ======================================================================================
    // lists
    // ======================================================================================

    /** Tick of a time at or after lastNow; saturates for deadlines beyond the tick range. */
    private long tickOf(long t) {
        long rel = (lastNow - origin) + (t - lastNow); // both terms >= 0: no wrap below
        if (rel < 0) rel = Long.MAX_VALUE;             // overflowed: ~292 years away
        return rel / tickNanos;
    }

    /** Files an unlinked node with tick > elapsed on its level, or in the overflow list. */
    private void linkWheel(TimerNode t) {
        long tick = t.tick;
        int level = (63 - Long.numberOfLeadingZeros((elapsed ^ tick) | SLOT_MASK)) / SLOT_BITS;
        if (level >= levels - 1) {
            if ((tick >>> topShift) - (elapsed >>> topShift) >= SLOTS) {
                linkOverflow(t);
                return;
            }
            level = levels - 1;
        }
        int slot = (int) ((tick >>> (level * SLOT_BITS)) & SLOT_MASK);
        linkFront((level << SLOT_BITS) | slot, t);
        occupied[level] |= 1L << slot;
    }

    private void linkOverflow(TimerNode t) {
        linkFront(overflow, t);
        if (t.tick < overflowMinTick) overflowMinTick = t.tick;
    }

    /** Inserts into the current list by deadline: O(1) at either end, else a walk from the tail. */
    private void linkCurrent(TimerNode t) {
        TimerNode tail = tails[current];
        long d = t.deadline;
        if (tail == null || d - tail.deadline >= 0) {
            linkBack(current, t);
            return;
        }
        TimerNode head = heads[current];
        if (d - head.deadline < 0) {
            linkFront(current, t);
            return;
        }
        TimerNode p = tail.prev; // head.deadline <= d < tail.deadline: stops at or after head
        while (d - p.deadline < 0) p = p.prev;
        t.where = current;
        t.prev = p;
        t.next = p.next;
        p.next.prev = t;
        p.next = t;
    }

    private void linkFront(int idx, TimerNode t) {
        TimerNode h = heads[idx];
        t.where = idx;
        t.prev = null;
        t.next = h;
        if (h != null) h.prev = t;
        else tails[idx] = t;
        heads[idx] = t;
    }

    private void linkBack(int idx, TimerNode t) {
        TimerNode tl = tails[idx];
        t.where = idx;
        t.next = null;
        t.prev = tl;
        if (tl != null) tl.next = t;
        else heads[idx] = t;
        tails[idx] = t;
    }

    /** Unlinks a linked node from its list, clearing the slot's occupancy bit if it empties. */
    private void unlink(TimerNode t) {
        int w = t.where;
        TimerNode p = t.prev, n = t.next;
        if (p != null) p.next = n;
        else heads[w] = n;
        if (n != null) n.prev = p;
        else tails[w] = p;
        if (heads[w] == null && w < current) occupied[w >>> SLOT_BITS] &= ~(1L << (w & SLOT_MASK));
        t.prev = t.next = null;
        t.where = DETACHED;
    }

    /** Merge sort of a chain linked through next, by deadline; O(k log k), no allocation. */
    private static TimerNode sort(TimerNode h) {
        if (h == null || h.next == null) return h;
        TimerNode slow = h, fast = h.next;
        while (fast != null && fast.next != null) {
            slow = slow.next;
            fast = fast.next.next;
        }
        TimerNode b = slow.next;
        slow.next = null;
        return merge(sort(h), sort(b));
    }

    private static TimerNode merge(TimerNode a, TimerNode b) {
        TimerNode head = null, tail = null;
        while (a != null && b != null) {
            TimerNode m;
            if (a.deadline - b.deadline <= 0) {
                m = a;
                a = a.next;
            } else {
                m = b;
                b = b.next;
            }
            if (tail == null) head = m;
            else tail.next = m;
            tail = m;
        }
        TimerNode rest = a != null ? a : b;
        if (tail == null) return rest;
        tail.next = rest;
        return head;
    }

    // ======================================================================================
    // invariants (tests)
    // ======================================================================================

    /** Walks every list and throws IllegalStateException naming the first broken invariant. O(n). */
    void checkInvariants() {
        int count = 0;
        for (int idx = 0; idx < heads.length; idx++) {
            TimerNode prev = null;
            for (TimerNode n = heads[idx]; n != null; prev = n, n = n.next) {
                count++;
                check(n.where == idx, "where", n, idx);
                check(n.prev == prev, "prev link", n, idx);
                if (idx < current) {
                    int l = idx >>> SLOT_BITS;
                    check(n.tick > elapsed, "slot timer not after elapsed", n, idx);
                    int lv = (63 - Long.numberOfLeadingZeros((elapsed ^ n.tick) | SLOT_MASK)) / SLOT_BITS;
                    if (l == levels - 1) {
                        long dist = (n.tick >>> topShift) - (elapsed >>> topShift);
                        check(lv >= l && dist >= 1 && dist < SLOTS, "top ring distance", n, idx);
                    } else {
                        check(lv == l, "level", n, idx);
                    }
                    check(((n.tick >>> (l * SLOT_BITS)) & SLOT_MASK) == (idx & SLOT_MASK), "slot", n, idx);
                } else if (idx == current) {
                    check(n.tick <= elapsed || n.deadline - lastNow <= 0, "current tick", n, idx);
                    check(prev == null || n.deadline - prev.deadline >= 0, "current order", n, idx);
                } else if (idx == overflow) {
                    check((n.tick >>> topShift) - (elapsed >>> topShift) >= SLOTS, "overflow fits the ring", n, idx);
                    check(n.tick >= overflowMinTick, "overflowMinTick", n, idx);
                } else {
                    check(n.deadline - lastNow <= 0, "expired but not due", n, idx);
                }
            }
            check(tails[idx] == prev, "tail", prev, idx);
            if (idx < current) {
                boolean bit = (occupied[idx >>> SLOT_BITS] & (1L << (idx & SLOT_MASK))) != 0;
                check(bit == (heads[idx] != null), "occupancy bit", heads[idx], idx);
            }
        }
        check(count == size, "size " + size + " != linked " + count, null, -1);
        check(pending == null, "pending chain outside a catch-up", pending, -1);
        check(lastNow - origin >= 0 && elapsed == (lastNow - origin) / tickNanos, "elapsed", null, -1);
    }

    private void check(boolean ok, String what, TimerNode n, int idx) {
        if (!ok) {
            throw new IllegalStateException("timers: invariant broken: " + what + " at list " + idx
                    + " node " + (n == null ? "-" : "deadline=" + n.deadline + " tick=" + n.tick)
                    + " elapsed=" + elapsed + " lastNow=" + lastNow + " levels=" + levels);
        }
    }
}
