package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A P's local run queue: a bounded single-producer multi-consumer ring plus the runnext slot
 * (Go's {@code runq}, {@code runqhead}, {@code runqtail}, {@code runnext} and the
 * {@code runq*} functions of proc.go).
 *
 * <h2>Roles</h2>
 * The <em>owner</em> is the M holding the P: it alone puts ({@link #runqput}), and it gets
 * ({@link #runqget}). <em>Thieves</em> (other Ms) take half the ring ({@link #runqsteal}) and may
 * clear runnext, never set it. Ownership moves between threads only with a happens-before edge
 * (a P changes hands under the scheduler lock or through an M's wake-up note).
 *
 * <h2>Memory ordering</h2>
 * <ul>
 *   <li>{@code tail}: written only by the owner with a release store after it wrote the slots
 *       below it; consumers load it with acquire before they read slots ("store-release makes
 *       the item available for consumption", as runqput).</li>
 *   <li>{@code head}: advanced by CAS (owner's runqget, thieves' runqgrab); the owner loads it
 *       with acquire before it overwrites slots a consumer has released.</li>
 *   <li>Slots are plain and written only by the owner (a thief writes the Gs it grabs into
 *       its own ring): a consumer may read a slot the producer is concurrently overwriting
 *       only if the consumer's view of head is stale, in which case its CAS on head fails and
 *       it discards what it read. A reference read never tears.</li>
 *   <li>{@code runnext}: CAS by the owner (set) and by anyone (clear).</li>
 * </ul>
 * Indices are free-running ints; {@code t - h} is the size under two's-complement wrap, and
 * capacity is a power of two so the slot is {@code i & mask}.
 *
 * <h2>Invariants</h2>
 * {@code 0 <= tail - head <= capacity}. A G is in at most one of: a ring slot in
 * [head, tail), runnext, the global queue, a thief's batch in flight, the owner's hands
 * between the runnext swap and the ring put of a displaced G. A G's {@code schedlink} is
 * written only by whoever holds it in that sense: a G in the ring belongs to the queue, not to
 * the owner, until a CAS on head hands it to one consumer (the owner's runqget or runqputslow,
 * or a thief's runqgrab); nothing here writes a G before that CAS.
 *
 * <h2>What is and is not linearizable</h2>
 * put, get and ring steals are linearizable (RunQueueLincheckTest checks them under model
 * checking). Stealing runnext is not, and need not be: a putNext swaps runnext first and puts
 * the displaced G into the ring after, so a thief can take the new runnext while the older G
 * is still in the owner's hands (Lincheck found this interleaving; Go's runqgrab has the same
 * window). Nothing is lost or run twice, which is what the scheduler relies on: the stress test
 * in RunQueueTest checks exactly-once delivery with runnext steals included.
 */
class RunQueue {

    /** The production ring size, as Go's {@code len(pp.runq)}. */
    static final int DEFAULT_CAPACITY = 256;

    private static final VarHandle HEAD, TAIL, RUNNEXT;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(RunQueue.class, "head", int.class);
            TAIL = l.findVarHandle(RunQueue.class, "tail", int.class);
            RUNNEXT = l.findVarHandle(RunQueue.class, "runnext", G.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Slots. Written by the owner (and by the owner as a thief, into its own free slots). */
    final G[] ring;
    final int mask;
    /** CAS by the owner and thieves. */
    private volatile int head;
    /** Release-stored by the owner only. */
    private volatile int tail;
    /** CAS-set by the owner; CAS-cleared by anyone. */
    private volatile G runnext;
    /** Set by the owner's last {@link #runqget}: the G came from runnext. Owner-only. */
    boolean lastGetInheritsTime;

    RunQueue(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("run queue capacity must be a power of two >= 2, got " + capacity);
        }
        ring = new G[capacity];
        mask = capacity - 1;
    }

    final int capacity() {
        return ring.length;
    }

    /**
     * Puts {@code g} on the queue. Executed only by the owner.
     * With {@code next}, g goes into runnext and the G it displaces goes to the tail.
     * Returns null, or, when the ring was full, the overflow batch (half the ring plus the G,
     * linked through {@code SchedLinks.schedlink}, head first) that the caller must put on the global
     * queue; {@link #lastOverflowSize} tells its length.
     */
    final G runqput(G g, boolean next) {
        if (SchedChaos.ON && next && SchedChaos.skipRunnext(this)) next = false; // randomised mode only
        if (next) {
            G old;
            do {
                old = runnext;
            } while (!RUNNEXT.compareAndSet(this, old, g));
            lastPutKicked = old != null;
            if (old == null) {
                return null;
            }
            g = old; // kick the old runnext out to the regular queue
        }
        for (;;) {
            int h = (int) HEAD.getAcquire(this); // load-acquire, synchronize with consumers
            int t = tail;                          // owner's own field
            if (t - h < ring.length) {
                ring[t & mask] = g;
                TAIL.setRelease(this, t + 1);      // store-release, makes the item available
                return null;
            }
            G batch = runqputslow(g, h, t);
            if (batch != null) {
                return batch;
            }
            // a thief moved head: there is room now, retry the fast path
        }
    }

    /** The last {@code runqput(g, next=true)} displaced an earlier runnext into the ring. Owner-only. */
    boolean lastPutKicked;

    /** Length of the batch returned by the last overflowing {@link #runqput}. Owner-only. */
    int lastOverflowSize;

    /**
     * The ring is full: take half of it plus {@code g} as a batch for the global queue.
     * Returns null if a consumer moved head meanwhile (the caller retries). Owner only.
     *
     * <p>Ownership: until the CAS on head succeeds, the Gs in [h, h+n) belong to whoever wins
     * that CAS, and a thief may win it: it then runs those Gs, and a G that yields is linked
     * into the global queue through its schedlink under sched.lock. So this method writes no G
     * before the CAS, as Go's runqputslow links its batch only after its CasRel: a link
     * written before could land after the thief's globrunqput and corrupt the global list
     * (Gs lost, a G run twice, a null in globrunqget). The CAS both claims the Gs and releases
     * their slots; a thief that read them with the same h fails its own CAS and discards what
     * it read.
     *
     * <p>After a successful CAS the owner re-reads the slots rather than copying them into a
     * batch array before the CAS as Go does (no array to allocate or keep per P): only the
     * owner writes its ring's slots (a thief writes into its own ring), and it writes none of
     * [h, h+n) before it links them here, so the slots still hold exactly the Gs the CAS
     * claimed.
     */
    private G runqputslow(G g, int h, int t) {
        int n = (t - h) / 2;
        if (n != ring.length / 2) {
            throw new IllegalStateException("goloom: runqputslow: queue is not full (head=" + h + " tail=" + t + ")");
        }
        if (!HEAD.compareAndSet(this, h, h + n)) { // cas-release, commits consume
            return null;
        }
        // The Gs of [h, h+n) are ours now: link them, then g.
        G first = ring[h & mask];
        G last = first;
        for (int i = 1; i < n; i++) {
            G x = ring[(h + i) & mask];
            SchedLinks.setSchedlink(last, x);
            last = x;
        }
        SchedLinks.setSchedlink(last, g);
        SchedLinks.setSchedlink(g, null);
        lastOverflowSize = n + 1;
        return first;
    }

    /**
     * Gets a G: runnext first (then {@link #lastGetInheritsTime} is true: it shares the time
     * slice of the G that readied it), else the ring's head. Executed only by the owner.
     */
    final G runqget() {
        G next = runnext;
        // If runnext is not null and the CAS fails, a thief took it; the ring is next anyway.
        if (next != null && RUNNEXT.compareAndSet(this, next, null)) {
            lastGetInheritsTime = true;
            return next;
        }
        lastGetInheritsTime = false;
        for (;;) {
            int h = (int) HEAD.getAcquire(this); // load-acquire, synchronize with other consumers
            int t = tail;
            if (t == h) {
                return null;
            }
            G g = ring[h & mask];
            if (HEAD.compareAndSet(this, h, h + 1)) { // cas-release, commits consume
                return g;
            }
        }
    }

    /**
     * True if the queue has no G. Never returns true spuriously when called by a thread that
     * has seen the puts it cares about (Go's runqempty reads head, tail, runnext, and re-reads
     * tail so a runnext kicked into the ring between the reads is not missed).
     */
    final boolean runqempty() {
        for (;;) {
            int h = (int) HEAD.getAcquire(this);
            int t = (int) TAIL.getAcquire(this);
            G next = runnext;
            if (t == (int) TAIL.getAcquire(this)) {
                return h == t && next == null;
            }
        }
    }

    /** How long a thief lets a running owner get to its runnext before stealing it (Go: usleep(3)). */
    static final long RUNNEXT_GRACE_NANOS = 3_000;

    /** Is this queue's owner running right now (so its runnext is about to run)? P overrides. */
    boolean ownerRunning() {
        return false;
    }

    /**
     * Owner only: how many more {@code runqput(g, next=true)} calls fit before one spills half
     * the ring to the global queue: the free ring slots, plus one while runnext is empty (the
     * first put lands there without pushing anything into the ring; each later one pushes the
     * old runnext in). Never less than 1 with an empty runnext: a P whose ring is full of
     * long-running goroutines still fires a due timer into runnext, where it runs next.
     * Concurrency: tail is the owner's own; head and runnext change only under thieves, who
     * move head forward and take runnext, so a stale read of either understates the room, never
     * overstates it, until the owner's next put. The acquire on head pairs with a thief's CAS on
     * it, as in runqput.
     */
    final int runqroom() {
        // Randomised mode (SchedChaos) may send a runnext put to the ring: then runnext is no room.
        return ring.length - (tail - (int) HEAD.getAcquire(this)) + (runnext == null && !SchedChaos.RANDOMIZE ? 1 : 0);
    }

    /** Racy size, for metrics and schedtrace only. */
    final int runqsize() {
        int n = (int) TAIL.getAcquire(this) - (int) HEAD.getAcquire(this);
        return Math.max(0, n) + (runnext != null ? 1 : 0);
    }

    /**
     * Steals half of {@code victim}'s ring into this queue and returns one G to run, or null.
     * Executed only by this queue's owner (the thief). With {@code stealRunNext}, takes the
     * victim's runnext when its ring is empty (only on the last steal pass, as Go).
     */
    final G runqsteal(RunQueue victim, boolean stealRunNext) {
        int t = tail;
        int n = victim.runqgrab(ring, t, stealRunNext);
        if (n == 0) {
            return null;
        }
        n--;
        G g = ring[(t + n) & mask];
        if (n == 0) {
            return g;
        }
        int h = (int) HEAD.getAcquire(this);
        if (t - h + n >= ring.length) {
            throw new IllegalStateException("goloom: runqsteal: runq overflow (head=" + h + " tail=" + t + " n=" + n + ")");
        }
        TAIL.setRelease(this, t + n); // store-release, makes the stolen items available
        return g;
    }

    /**
     * Grabs a batch of half this queue's Gs into {@code batch} starting at
     * {@code batchHead} (the thief's own free slots). Returns the number grabbed. Can be
     * executed by any thread.
     */
    final int runqgrab(G[] batch, int batchHead, boolean stealRunNext) {
        int bmask = batch.length - 1;
        for (;;) {
            int h = (int) HEAD.getAcquire(this); // load-acquire, synchronize with other consumers
            int t = (int) TAIL.getAcquire(this); // load-acquire, synchronize with the producer
            int n = t - h;
            n = n - n / 2;
            if (n == 0) {
                if (stealRunNext) {
                    G next = runnext;
                    if (next != null && ownerRunning()) {
                        // The owner is running and is likely about to run its runnext (a G it
                        // just readied, say a channel partner): give it the time to. Stealing
                        // now makes the pair ping-pong between Ps, each hand-off a cross-thread
                        // wake-up. Go sleeps 3 µs here ("~50x overshoot" of a channel hand-off).
                        long until = System.nanoTime() + RUNNEXT_GRACE_NANOS;
                        while (System.nanoTime() - until < 0) {
                            Thread.onSpinWait();
                        }
                        next = runnext;
                    }
                    if (next != null) {
                        if (!RUNNEXT.compareAndSet(this, next, null)) {
                            continue;
                        }
                        batch[batchHead & bmask] = next;
                        return 1;
                    }
                }
                return 0;
            }
            if (n > ring.length / 2) { // read inconsistent h and t
                continue;
            }
            for (int i = 0; i < n; i++) {
                batch[(batchHead + i) & bmask] = ring[(h + i) & mask];
            }
            if (HEAD.compareAndSet(this, h, h + n)) { // cas-release, commits consume
                return n;
            }
        }
    }

    /**
     * The Gs queued now, runnext first, then the ring from head to tail. A consistent view only
     * while no thread uses the queue (the invariant check of a stopped runtime, dumps).
     */
    final java.util.List<G> snapshot() {
        java.util.List<G> out = new java.util.ArrayList<>();
        G next = runnext;
        if (next != null) {
            out.add(next);
        }
        int h = head, t = tail;
        for (int i = h; t - i > 0 && i - h < ring.length; i++) {
            out.add(ring[i & mask]);
        }
        return out;
    }

    /** {@code tail - head}, read once each; consistent only while no thread uses the queue. */
    final int ringSize() {
        return tail - head;
    }

    /**
     * Puts a batch (linked through schedlink) into the ring; returns what did not fit
     * (linked), or null. Executed only by the owner.
     */
    final G runqputbatch(G batch) {
        int h = (int) HEAD.getAcquire(this);
        int t = tail;
        int start = t;
        while (batch != null && t - h < ring.length) {
            G next = SchedLinks.schedlink(batch);
            SchedLinks.setSchedlink(batch, null);
            ring[t & mask] = batch;
            t++;
            batch = next;
        }
        if (t != start) {
            TAIL.setRelease(this, t);
        }
        return batch;
    }
}
