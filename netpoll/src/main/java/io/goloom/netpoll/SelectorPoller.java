package io.goloom.netpoll;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The portable backend: one {@link Selector} over NIO channels ({@link ChannelSocket}). Used
 * where epoll is not available, or with {@code -Dgoloom.netpoll=selector}.
 *
 * <h2>Edge-triggered on a level-triggered selector</h2>
 * A Selector reports a ready channel at every select while its interest set asks for it, so a
 * writable socket would be reported forever. This backend does what Go does on its
 * level-triggered platforms ({@code netpollarm}): when a select reports an op, the op leaves the
 * key's interest set; {@link #arm} puts it back when an operation hits EAGAIN and its caller is
 * about to wait. The caller then sees either the READY left by the report, or a later report:
 * the interest changes are atomic ({@code interestOpsOr/And}) and reach a select that starts
 * after them; a select already blocked is woken ({@link Selector#wakeup()}) so it picks them up.
 *
 * <h2>One select at a time</h2>
 * {@code Selector.select} holds the selector's lock while it blocks, so a second select would
 * block behind it. {@link #busy} makes every select exclusive: a non-blocking poll that finds
 * it taken returns at once (someone is polling anyway), the token holder's blocking poll spins
 * for the few microseconds a non-blocking one takes. Registration does not take the selector's
 * lock (JDK 11 and later); new interest reaches a blocked select through a wakeup.
 *
 * <h2>Closing</h2>
 * A channel registered with a selector is closed for real only when a select deregisters its
 * cancelled key (at the start and at the end of every select). An idle runtime may not select
 * again for a long time, so {@link #flush} makes it happen before close returns:
 * <pre>
 *  closer (after key.cancel and channel close)     busy holder (poll)
 *  1. ticket = ++cancels                           1. c0 = cancels; select; flushed = c0
 *  2. until flushed >= ticket:                     2. after a blocking select: c = cancels;
 *     take busy: c = cancels; selectNow;              if c > flushed: selectNow; flushed = c
 *       flushed = c; release                       3. release busy
 *     or, busy taken: wake a blocked select, spin
 * </pre>
 * A select deregisters every key cancelled before it starts, so "flushed = c" is true for
 * every ticket up to c. The closer spins only while another select runs: a non-blocking one
 * (microseconds), or a blocking one it has just woken, which flushes on its way out (step 2).
 */
final class SelectorPoller extends Poller {

    private final Selector selector;
    /** A select is running. Atomic: CAS false -> true to select. */
    private final AtomicBoolean busy = new AtomicBoolean();
    /** A blocking select is running: interest changes must wake it. Written by the busy holder. */
    private volatile boolean selectingBlocked;
    /** The running poll's sink and count. Busy holder only. */
    private Poller.Sink sink;
    private int reported;
    /** Allocated once: a poll allocates nothing. */
    private final Consumer<SelectionKey> action = this::onKey;
    /** Closes waiting for a flush (tickets handed out). Atomic. */
    private final AtomicLong cancels = new AtomicLong();
    /** Every ticket up to this one has been flushed. Written by the busy holder. */
    private volatile long flushed;

    SelectorPoller() throws IOException {
        this.selector = Selector.open();
    }

    @Override
    String name() {
        return "selector";
    }

    @Override
    void open(PollDesc pd) throws IOException {
        ChannelSocket s = (ChannelSocket) pd.sock;
        SelectionKey k = s.ch.register(selector, s.readOp() | s.writeOp(), pd);
        s.key = k;
        pd.key = k;
        if (selectingBlocked) {
            selector.wakeup(); // the blocked select has not seen the new key's interest yet
        }
    }

    @Override
    void close(PollDesc pd) {
        SelectionKey k = (SelectionKey) pd.key;
        if (k != null) {
            k.cancel();
        }
    }

    @Override
    void arm(PollDesc pd, int mode) {
        ChannelSocket s = (ChannelSocket) pd.sock;
        SelectionKey k = (SelectionKey) pd.key;
        int op = mode == READ ? s.readOp() : s.writeOp();
        if (k == null || op == 0) {
            return;
        }
        try {
            if ((k.interestOps() & op) == 0) {
                k.interestOpsOr(op);
                // Dekker with poll(): our interest update, then this read; poll stores
                // selectingBlocked, then select processes the queued updates.
                if (selectingBlocked) {
                    selector.wakeup();
                }
            }
        } catch (CancelledKeyException e) {
            // closing: the waiter is woken by the close itself
        }
    }

    @Override
    int poll(long timeoutNanos, Sink s) throws IOException {
        if (timeoutNanos == 0) {
            if (!busy.compareAndSet(false, true)) {
                return 0;
            }
        } else {
            while (!busy.compareAndSet(false, true)) {
                Thread.onSpinWait(); // only a non-blocking poll or a flush holds it, briefly
            }
        }
        try {
            sink = s;
            reported = 0;
            long c0 = cancels.get();
            if (timeoutNanos == 0) {
                selector.selectNow(action);
            } else {
                long ms = timeoutNanos < 0 ? 0 : Math.max(1, (timeoutNanos + 999_999L) / 1_000_000L); // 0: no limit
                selectingBlocked = true;
                try {
                    selector.select(action, ms);
                } finally {
                    selectingBlocked = false;
                }
                long c = cancels.get();
                if (c > c0) {
                    selector.selectNow(action); // a closer woke us to flush its key: see the class comment
                    c0 = c;
                }
            }
            flushed = Math.max(flushed, c0);
            return reported;
        } finally {
            sink = null;
            busy.set(false);
        }
    }

    private void onKey(SelectionKey k) {
        if (!(k.attachment() instanceof PollDesc pd)) {
            return;
        }
        int ready;
        try {
            ready = k.readyOps();
            k.interestOpsAnd(~ready); // edge emulation: see the class comment
        } catch (CancelledKeyException e) {
            return;
        }
        int modes = 0;
        if ((ready & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) {
            modes |= READ;
        }
        if ((ready & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) {
            modes |= WRITE;
        }
        if (modes != 0) {
            sink.netpollready(pd, modes);
            reported++;
        }
    }

    @Override
    void wakeup() {
        selector.wakeup();
    }

    /**
     * Deregisters the caller's cancelled key (closing its channel's fd) before returning; see
     * the class comment. Readiness found by the caller's own select is handed out at once.
     */
    void flush() {
        long ticket = cancels.incrementAndGet();
        while (flushed < ticket) {
            if (busy.compareAndSet(false, true)) {
                try {
                    sink = Netpoll.DIRECT;
                    long c = cancels.get();
                    selector.selectNow(action);
                    flushed = Math.max(flushed, c);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("goloom: netpoll: selector flush failed", e);
                } finally {
                    sink = null;
                    busy.set(false);
                }
            } else {
                if (selectingBlocked) {
                    selector.wakeup();
                }
                Thread.onSpinWait();
            }
        }
    }

    @Override
    Sock listen(InetSocketAddress local, int backlog) throws IOException {
        return ChannelSocket.listen(this, local, backlog);
    }

    @Override
    Sock connect(InetSocketAddress remote) throws IOException {
        return ChannelSocket.connect(this, remote);
    }
}
