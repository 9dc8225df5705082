package io.goloom.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Go's {@code select} statement: waits until one of several channel operations can proceed,
 * performs exactly that one, and runs its handler.
 *
 * <pre>{@code
 * int fired = Select.of()
 *         .recv(jobs, job -> handle(job))          // case job := <-jobs:
 *         .recvOk(quit, (v, ok) -> stop = true)    // case v, ok := <-quit:
 *         .send(results, r, () -> sent++)          // case results <- r:
 *         .orDefault(() -> idle())                 // default:
 *         .run();                                  // returns the case index, or DEFAULT
 * }</pre>
 *
 * <h2>The API, and why it looks like this</h2>
 * A Select is a small, <b>reusable</b> statement object: cases are added with fluent calls,
 * {@link #run} executes it and returns the index of the case that fired (in the order the
 * cases were added, from 0) or {@link #DEFAULT}. Handlers are optional; without them it is the
 * low-level, index-returning form, with the received value in {@link #received()} and
 * {@link #ok()}:
 *
 * <pre>{@code
 * Select sel = new Select().recv(in).recv(quit);    // built once, outside the loop
 * for (;;) {
 *     if (sel.run() == 1) return;                    // quit
 *     process(sel.received());
 * }
 * }</pre>
 * Reused this way (or with {@link #clear} and non-capturing handlers) a select allocates
 * nothing, even when it blocks: it keeps its scratch arrays and its {@link Waiter}s. A
 * lambda-per-case builder (Kotlin's {@code select { }} style) would allocate a closure per
 * case per run; a varargs {@code select(Case...)} would allocate the array and the cases.
 * Send values can be changed between runs with {@link #sendValue}. A Select is used by one
 * goroutine (or thread) at a time; it is not thread-safe.
 *
 * <h2>Semantics (Go's selectgo)</h2>
 * <ul>
 *   <li>If several cases are ready, one is chosen uniformly at random: the cases are polled in
 *       a random permutation (Fisher-Yates, per run), and the first ready one fires.</li>
 *   <li>With no ready case and a default, the default fires; with no default the select
 *       blocks: it enqueues a Waiter on every case's channel, parks once, and exactly one
 *       waker wins (a CAS on the select's done word, Go's {@code selectDone}). The losers are
 *       dequeued (O(1) each) before {@code run} returns.</li>
 *   <li>A case on a {@code null} channel is never ready (Go's nil channel). A select with no
 *       cases and no default blocks forever ({@link WaitReason#SELECT_NO_CASES}); one whose
 *       cases are all on null channels blocks forever too ({@link WaitReason#SELECT}). Both
 *       park the goroutine; neither spins.</li>
 *   <li>A send case on a closed channel throws {@link ChanClosedException}, as a plain send
 *       would. A receive case on a closed channel is ready and yields {@code (null, false)}.</li>
 *   <li>Channels are locked in one global order (by {@code Chan.id}), so selects that share
 *       channels cannot deadlock; a channel that appears in several cases is locked once.
 *       Handlers run after every lock is released.</li>
 * </ul>
 */
public final class Select {

    /** What {@link #run} returns when the default case fired. */
    public static final int DEFAULT = -1;
    /** selectgo's "no case chosen yet". */
    private static final int NONE = -2;

    /** The handler of a receive case that wants the ok flag ({@code case v, ok := <-ch}). */
    @FunctionalInterface
    public interface RecvOkHandler<T> {
        void accept(T value, boolean ok);
    }

    private static final byte RECV = 0;
    private static final byte RECV_OK = 1;
    private static final byte SEND = 2;

    /** Park commit of a blocking select: releases every channel lock (Go's selparkcommit). */
    private static final ParkCommit UNLOCK_ALL = (g, sel) -> {
        ((Select) sel).selunlock();
        return true;
    };
    /** Park commit of a select that can never fire: nothing to release, stay parked. */
    private static final ParkCommit FOREVER = (g, arg) -> true;

    // ---- the cases (owner-only, like everything in a Select) ----
    private Chan<?>[] chans = new Chan<?>[4];
    private Object[] values = new Object[4];
    private Object[] handlers = new Object[4];
    private byte[] kinds = new byte[4];
    private int ncases;
    private boolean hasDefault;
    private Runnable defaultHandler;

    // ---- scratch for run() ----
    private int[] pollorder = new int[4];
    private int[] lockorder = new int[4];
    private int norder;
    /**
     * Lock-order positions whose channel locks this select holds: set by {@link #sellock} as
     * it goes, cleared by {@link #selunlock} before its last unlock. An Error thrown while the
     * locks are held (mid-sellock included) unlocks exactly these.
     */
    private int nlocked;
    /** Waiters of the last blocking run, by lock-order position; reused. */
    private Waiter[] waiters = new Waiter[4];
    /** xorshift32 state for the poll order; never 0. */
    private int rand;

    // ---- the result of the last run ----
    private Object received;
    private boolean ok;

    /** An empty select. */
    public Select() {
        rand = ThreadLocalRandom.current().nextInt() | 1;
    }

    /** An empty select; reads well at the start of a fluent chain. */
    public static Select of() {
        return new Select();
    }

    /**
     * Seeds the random poll order, for reproducible tests. The order still differs from run
     * to run, as a deterministic function of the seed.
     */
    public Select withSeed(long seed) {
        int s = (int) (seed ^ (seed >>> 32));
        rand = s == 0 ? 0x9E3779B9 : s;
        return this;
    }

    // =====================================================================================
    // Building

    /** Adds {@code case <-c}, without a handler. */
    public <T> Select recv(Chan<T> c) {
        return add(c, RECV, null, null);
    }

    /** Adds {@code case v := <-c: then(v)}. On a closed channel {@code then} gets null. */
    public <T> Select recv(Chan<T> c, Consumer<? super T> then) {
        return add(c, RECV, null, then);
    }

    /** Adds {@code case v, ok := <-c: then(v, ok)}. */
    public <T> Select recvOk(Chan<T> c, RecvOkHandler<? super T> then) {
        return add(c, RECV_OK, null, then);
    }

    /** Adds {@code case c <- v}, without a handler. */
    public <T> Select send(Chan<T> c, T v) {
        return add(c, SEND, Objects.requireNonNull(v, "a Chan does not carry null"), null);
    }

    /** Adds {@code case c <- v: then()}. */
    public <T> Select send(Chan<T> c, T v, Runnable then) {
        return add(c, SEND, Objects.requireNonNull(v, "a Chan does not carry null"), then);
    }

    /** Adds a default case without a handler: {@link #run} never blocks. */
    public Select orDefault() {
        return orDefault(null);
    }

    /** Adds {@code default: then()}: {@link #run} never blocks. */
    public Select orDefault(Runnable then) {
        if (hasDefault) {
            throw new IllegalStateException("select: multiple defaults");
        }
        hasDefault = true;
        defaultHandler = then;
        return this;
    }

    /**
     * Replaces the value sent by send case {@code caseIndex}, for a Select reused in a loop.
     * The value must have the element type of that case's channel.
     */
    public Select sendValue(int caseIndex, Object v) {
        Objects.checkIndex(caseIndex, ncases);
        if (kinds[caseIndex] != SEND) {
            throw new IllegalArgumentException("select: case " + caseIndex + " is not a send case");
        }
        values[caseIndex] = Objects.requireNonNull(v, "a Chan does not carry null");
        return this;
    }

    /** Removes every case and the default; the scratch space is kept for reuse. */
    public Select clear() {
        Arrays.fill(chans, 0, ncases, null);
        Arrays.fill(values, 0, ncases, null);
        Arrays.fill(handlers, 0, ncases, null);
        ncases = 0;
        hasDefault = false;
        defaultHandler = null;
        received = null;
        return this;
    }

    /** Number of cases, not counting the default. */
    public int size() {
        return ncases;
    }

    private Select add(Chan<?> c, byte kind, Object v, Object handler) {
        int i = ncases;
        if (i == chans.length) {
            int n = i * 2;
            chans = Arrays.copyOf(chans, n);
            values = Arrays.copyOf(values, n);
            handlers = Arrays.copyOf(handlers, n);
            kinds = Arrays.copyOf(kinds, n);
            pollorder = new int[n];
            lockorder = new int[n];
            waiters = Arrays.copyOf(waiters, n);
        }
        chans[i] = c;
        values[i] = v;
        handlers[i] = handler;
        kinds[i] = kind;
        ncases = i + 1;
        return this;
    }

    // =====================================================================================
    // Running

    /**
     * Executes the select: performs one ready case (blocking until one is, unless there is a
     * default) and runs its handler after every channel lock is released.
     *
     * @return the index of the case that fired, or {@link #DEFAULT}
     * @throws ChanClosedException if the chosen case is a send on a closed channel
     */
    @SuppressWarnings("unchecked")
    public int run() {
        G.checkpoint(); // a yield point, as every channel operation
        int i = selectgo(!hasDefault);
        if (i == DEFAULT) {
            Runnable d = defaultHandler;
            if (d != null) {
                d.run();
            }
            return DEFAULT;
        }
        Object h = handlers[i];
        if (h != null) {
            switch (kinds[i]) {
                case RECV -> ((Consumer<Object>) h).accept(received);
                case RECV_OK -> ((RecvOkHandler<Object>) h).accept(received, ok);
                default -> ((Runnable) h).run();
            }
        }
        return i;
    }

    /**
     * The value received by the last {@link #run}, if a receive case fired: null if its
     * channel was closed (or a send or the default fired).
     */
    @SuppressWarnings("unchecked")
    public <T> T received() {
        return (T) received;
    }

    /** Whether the receive case that fired in the last {@link #run} got a value (not a close). */
    public boolean ok() {
        return ok;
    }

    /** Go's selectgo: returns the index of the case that fired, or DEFAULT if !block. */
    private int selectgo(boolean block) {
        received = null;
        ok = false;
        final Chan<?>[] chans = this.chans;
        final byte[] kinds = this.kinds;
        final int[] pollorder = this.pollorder;
        final int n = ncases;

        // The poll order: a uniformly random permutation of the cases with a channel (an
        // inside-out Fisher-Yates shuffle). Null-channel cases are left out: never ready.
        int norder = 0;
        for (int i = 0; i < n; i++) {
            if (chans[i] == null) {
                continue;
            }
            int j = randn(norder + 1);
            pollorder[norder] = pollorder[j];
            pollorder[j] = i;
            norder++;
        }
        this.norder = norder;
        if (norder == 0) {
            if (!block) {
                return DEFAULT;
            }
            blockForever(n == 0 ? WaitReason.SELECT_NO_CASES : WaitReason.SELECT);
        }

        // The lock order: the same cases sorted by channel id.
        final int[] lockorder = this.lockorder;
        System.arraycopy(pollorder, 0, lockorder, 0, norder);
        sortByChanId(lockorder, norder);

        // Every path out of a locked region releases the locks, an Error thrown inside it
        // (StackOverflowError, OutOfMemoryError) included, with field stores in this frame:
        // any call, selunlock's included, can throw a StackOverflowError, a store cannot (see
        // ChanLock.signal). nlocked says how many lock-order positions are held.
        Waiter leader = null;
        Waiter toWake = null;
        int chosen = NONE;
        boolean closedSend = false;
        boolean parked = false; // the M took the park: its commit released the locks
        int queued = 0; // pass-2 Waiters enqueued
        try {
            sellock();

            // Pass 1: look for a case that is ready now, in poll order. Its wake-up and the
            // result are acted on after the locks are released.
            for (int k = 0; k < norder; k++) {
                int i = pollorder[k];
                Chan<?> c = chans[i];
                if (kinds[i] != SEND) {
                    Waiter s = c.sendq.dequeue();
                    if (s != null) {
                        received = c.takeFrom(s);
                        ok = true;
                        toWake = s;
                        chosen = i;
                        break;
                    }
                    if (c.count() > 0) {
                        received = c.bufTake();
                        ok = true;
                        chosen = i;
                        break;
                    }
                    if (c.closed) {
                        chosen = i; // received = null, ok = false
                        break;
                    }
                } else {
                    if (c.closed) {
                        closedSend = true;
                        break;
                    }
                    Waiter r = c.recvq.dequeue();
                    if (r != null) {
                        Chan.handTo(r, values[i]);
                        toWake = r;
                        chosen = i;
                        break;
                    }
                    if (c.count() < c.capacity()) {
                        c.bufPut(values[i]);
                        chosen = i;
                        break;
                    }
                }
            }

            if (chosen == NONE && !closedSend && block) {
                // Pass 2: enqueue a Waiter on every channel, in lock order, and park once.
                Waiter[] ws = this.waiters;
                for (int k = 0; k < norder; k++) {
                    int i = lockorder[k];
                    Waiter w = ws[k];
                    if (w == null) {
                        ws[k] = w = new Waiter();
                    }
                    if (leader == null) {
                        leader = w;
                        w.bindCurrent();
                        w.winner = null;
                        w.woken = false;
                        w.done = 0; // published to wakers by the enqueue below and the unlock
                    } else {
                        w.g = leader.g;
                        w.thread = leader.thread;
                    }
                    w.sel = leader;
                    w.caseIndex = i;
                    w.success = false;
                    if (kinds[i] == SEND) {
                        w.elem = values[i];
                        chans[i].sendq.enqueue(w);
                    } else {
                        w.elem = null;
                        chans[i].recvq.enqueue(w);
                    }
                    queued = k + 1;
                }
                // A goroutine's commit runs on the M after its yield; a thread's runs inside
                // block(), before the thread parks. Either way the locks are then released.
                // If the yield itself throws, the M never took the park (parkCommit still set)
                // and the locks are still held.
                parked = true;
                leader.block(WaitReason.SELECT, UNLOCK_ALL, this, null);
            }
        } catch (Throwable t) {
            if (parked && leader.g != null && leader.g.parkCommit != null) {
                leader.g.parkCommit = null; // forget the park the M never took (field stores only)
                leader.g.parkArg = null;
                parked = false;
            }
            throw t;
        } finally {
            if (!parked) {
                if (queued != 0) {
                    // An Error after Waiters were queued: claim the select (every lock is held,
                    // so no waker is between its dequeue and its CAS on done), which makes them
                    // stale for every waker, and never reuse them (a stale Waiter stays linked
                    // until a later operation pops it).
                    leader.done = 1;
                    for (int k = 0; k < queued; k++) {
                        this.waiters[k] = null;
                    }
                }
                int held = nlocked;
                nlocked = 0;
                // Once per channel, at its last position (a channel in two cases holds two
                // adjacent positions of lockorder but one lock): a second store of 0 would free
                // the lock after another carrier took it (as selunlock, without its call).
                for (int k = 0; k < held; k++) {
                    Chan<?> c = chans[lockorder[k]];
                    if (k + 1 == held || chans[lockorder[k + 1]] != c) {
                        c.lock.word = 0;
                    }
                }
                for (int k = 0; k < held; k++) {
                    Chan<?> c = chans[lockorder[k]];
                    if (k + 1 == held || chans[lockorder[k + 1]] != c) {
                        c.lock.signal();
                    }
                }
            }
        }
        if (!parked) {
            if (closedSend) {
                throw ChanClosedException.send();
            }
            if (toWake != null) {
                toWake.wake(true);
            }
            return chosen == NONE ? DEFAULT : chosen;
        }

        // Woken: exactly one Waiter won. Pass 3: take the channel locks again and unlink the
        // losers (a waker may have dropped some already as stale; remove() allows that).
        Waiter winner = null;
        Waiter[] ws = this.waiters;
        int casi = DEFAULT;
        boolean unlinked = false;
        try {
            sellock();
            winner = leader.winner;
            for (int k = 0; k < norder; k++) {
                int i = lockorder[k];
                Waiter w = ws[k];
                if (w == winner) {
                    casi = i;
                } else if (kinds[i] == SEND) {
                    chans[i].sendq.remove(w);
                } else {
                    chans[i].recvq.remove(w);
                }
            }
            unlinked = true;
        } finally {
            if (!unlinked) {
                // An Error before every loser was unlinked: the select is won (done != 0), so
                // the ones left are stale for every waker; never reuse them.
                for (int k = 0; k < norder; k++) {
                    ws[k] = null;
                }
            }
            int held = nlocked;
            nlocked = 0;
            for (int k = 0; k < held; k++) { // once per channel, as above
                Chan<?> c = chans[lockorder[k]];
                if (k + 1 == held || chans[lockorder[k + 1]] != c) {
                    c.lock.word = 0;
                }
            }
            for (int k = 0; k < held; k++) {
                Chan<?> c = chans[lockorder[k]];
                if (k + 1 == held || chans[lockorder[k + 1]] != c) {
                    c.lock.signal();
                }
            }
        }
        if (casi == DEFAULT) {
            throw new IllegalStateException("goloom: select: bad wake-up: no case won (done=" + leader.done + ")");
        }
        boolean success = winner.success;
        Object v = winner.elem;
        for (int k = 0; k < norder; k++) {
            ws[k].elem = null; // don't keep values alive through the pool
        }
        leader.winner = null;
        if (kinds[casi] == SEND) {
            if (!success) {
                throw ChanClosedException.send(); // the channel was closed while we waited
            }
        } else {
            received = v;
            ok = success;
        }
        return casi;
    }

    /** Locks every channel once, in lock order (Go's sellock). */
    private void sellock() {
        Chan<?> prev = null;
        for (int k = 0; k < norder; k++) {
            Chan<?> c = chans[lockorder[k]];
            if (c != prev) {
                c.lock.lock();
                nlocked = k + 1;
                prev = c;
            }
        }
        nlocked = norder;
    }

    /**
     * Unlocks every channel once (Go's selunlock). Also the park commit: it then runs on the M
     * while the G may already be readied through a channel unlocked earlier. That G cannot get
     * past its own {@link #sellock} until the last unlock here, and it writes nothing before,
     * so reading this Select's arrays up to the last unlock is safe; nothing is read after it.
     */
    private void selunlock() {
        final int n = nlocked;
        nlocked = 0; // before the last unlock: see above
        for (int k = 0; k < n; k++) {
            Chan<?> c = chans[lockorder[k]];
            if (k + 1 < n && chans[lockorder[k + 1]] == c) {
                continue; // a duplicate: unlock it at its last occurrence
            }
            c.lock.unlock();
        }
    }

    /** Sorts the first n case indexes by their channel's id (insertion sort; heap sort if long). */
    private void sortByChanId(int[] a, int n) {
        if (n <= 16) {
            for (int i = 1; i < n; i++) {
                int x = a[i];
                long id = chans[x].id;
                int j = i - 1;
                while (j >= 0 && chans[a[j]].id > id) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
            return;
        }
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(a, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            int t = a[0];
            a[0] = a[end];
            a[end] = t;
            siftDown(a, 0, end);
        }
    }

    private void siftDown(int[] a, int i, int n) {
        for (;;) {
            int child = 2 * i + 1;
            if (child >= n) {
                return;
            }
            if (child + 1 < n && chans[a[child + 1]].id > chans[a[child]].id) {
                child++;
            }
            if (chans[a[i]].id >= chans[a[child]].id) {
                return;
            }
            int t = a[i];
            a[i] = a[child];
            a[child] = t;
            i = child;
        }
    }

    /** A uniform random int in [0, n) (xorshift32, then Lemire's multiply-shift). */
    private int randn(int n) {
        int x = rand;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        rand = x;
        return (int) (((x & 0xFFFFFFFFL) * n) >>> 32);
    }

    /** Parks the caller for good: nothing can ever wake it (Go's block()). */
    static void blockForever(WaitReason reason) {
        G g = G.current();
        for (;;) { // park never returns: there is no waker; loop in case of a protocol bug
            if (g != null) {
                g.gopark(reason, FOREVER, null);
            } else {
                LockSupport.park(reason);
                Thread.interrupted(); // an interrupt must not turn this into a busy loop
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Select[");
        for (int i = 0; i < ncases; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(kinds[i] == SEND ? "send " : "recv ").append(chans[i]);
        }
        if (hasDefault) {
            sb.append(ncases > 0 ? ", " : "").append("default");
        }
        return sb.append(']').toString();
    }
}
