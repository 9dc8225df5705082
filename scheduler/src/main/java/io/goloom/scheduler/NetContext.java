package io.goloom.scheduler;

import io.goloom.netpoll.Conn;
import io.goloom.netpoll.DeadlineExceededException;
import io.goloom.netpoll.Net;
import io.goloom.netpoll.NetClosedException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Network operations bounded by a {@link Context} (Go's {@code Dialer.DialContext}, and the
 * {@code context.AfterFunc} + {@code SetDeadline} idiom Go's own net/http uses to bound a read or
 * a write by a context). The netpoller cannot see contexts (netpoll depends on nothing of the
 * scheduler's), so they meet here:
 * <ul>
 *   <li>the context's deadline becomes the operation's I/O deadline;</li>
 *   <li>its cancellation interrupts the operation the way Go interrupts I/O: a goroutine started
 *       by {@link Context#afterFunc} sets a deadline in the past, which wakes the parked
 *       operation at once;</li>
 *   <li>an operation that failed because the context ended throws the context's
 *       {@link Context#err()} ({@link Context#CANCELED} or {@link Context#DEADLINE_EXCEEDED}),
 *       not the poller's {@link DeadlineExceededException}. An operation that completed returns
 *       its result even if the context ended meanwhile: exactly one of the two outcomes.</li>
 * </ul>
 * <b>Deadlines of the connection:</b> {@link #read} and {@link #write} own the connection's read
 * (write) deadline for the duration of the call: they set it to the context's deadline (none if
 * it has none) and clear it when they return. Do not mix them with {@link Conn#setReadDeadline}
 * on the same direction of the same connection.
 *
 * <p><b>The race of a late cancel with the end of the call</b> (a read returning while the
 * after-function runs): the after-function sets the past deadline and the call's end clears the
 * deadline under the same monitor, the call's end last, so a cancellation can never leave a past
 * deadline behind on a connection that is used again. (The monitor is held for a deadline store
 * only, never across a park.)
 *
 * <p>Every call allocates its after-function registration; these are conveniences for code that
 * uses contexts, not the fast path ({@link Conn#read} with {@link Conn#setReadDeadline} is).
 */
public final class NetContext {

    private NetContext() {
    }

    /**
     * Connects to {@code host:port} unless {@code ctx} ends first: its deadline bounds the
     * connect, its cancellation aborts it (the socket is closed).
     *
     * @throws CancellationException {@code ctx.err()} if the context ended before the connection
     *         was established (a connection established just as it ended is closed, not returned)
     */
    public static Conn dial(Context ctx, String host, int port) throws IOException {
        Objects.requireNonNull(ctx, "ctx");
        return dial(ctx, new InetSocketAddress(host, port));
    }

    /** {@link #dial(Context, String, int)} to an address. */
    public static Conn dial(Context ctx, InetSocketAddress remote) throws IOException {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(remote, "remote");
        throwIfDone(ctx);
        // The abort action from the poller, or ABORTED once the context ended first: one CAS on
        // each side, so exactly one of them runs the abort when both happen.
        AtomicReference<Runnable> abort = new AtomicReference<>();
        Context.Stop stop = Context.afterFunc(ctx, () -> {
            Runnable a = abort.getAndSet(ABORTED);
            if (a != null && a != ABORTED) {
                a.run();
            }
        });
        Conn c;
        try {
            c = Net.dial(remote, timeout(ctx), a -> {
                if (!abort.compareAndSet(null, a)) {
                    a.run(); // the context ended before the connect started
                }
            });
        } catch (DeadlineExceededException e) {
            stop.stop();
            throw errOr(ctx, e);
        }
        if (!stop.stop()) {
            // The context ended while the connection was being established: the after-function
            // ran or runs, and may have left a past write deadline on c. Go returns ctx's error
            // then too; the connection is not handed out.
            c.close();
            throw errOrThrow(ctx);
        }
        return c;
    }

    /** Reads into {@code b} as {@link Conn#read(byte[])}, bounded by {@code ctx}. */
    public static int read(Context ctx, Conn conn, byte[] b) throws IOException {
        return read(ctx, conn, b, 0, b.length);
    }

    /**
     * Reads as {@link Conn#read(byte[], int, int)} unless {@code ctx} ends first.
     *
     * @throws CancellationException {@code ctx.err()} if the context ended before any byte was
     *         read (nothing was consumed from the connection)
     */
    public static int read(Context ctx, Conn conn, byte[] b, int off, int len) throws IOException {
        Bound bound = new Bound(ctx, conn, true);
        try {
            return conn.read(b, off, len);
        } catch (DeadlineExceededException e) {
            throw errOr(ctx, e);
        } finally {
            bound.end();
        }
    }

    /** Writes {@code b} as {@link Conn#write(byte[])}, bounded by {@code ctx}. */
    public static void write(Context ctx, Conn conn, byte[] b) throws IOException {
        write(ctx, conn, b, 0, b.length);
    }

    /**
     * Writes as {@link Conn#write(byte[], int, int)} unless {@code ctx} ends first. As with Go's
     * deadlines, a write interrupted by the context may have sent a prefix of the bytes.
     *
     * @throws CancellationException {@code ctx.err()} if the context ended before every byte was written
     */
    public static void write(Context ctx, Conn conn, byte[] b, int off, int len) throws IOException {
        Bound bound = new Bound(ctx, conn, false);
        try {
            conn.write(b, off, len);
        } catch (DeadlineExceededException e) {
            throw errOr(ctx, e);
        } finally {
            bound.end();
        }
    }

    /**
     * One direction of one connection bound to a context for one call: sets the direction's
     * deadline to the context's and registers the after-function that interrupts it; {@link #end}
     * unregisters it and clears the deadline. {@code ended} and the deadline stores are guarded
     * by this object's monitor (see the class comment).
     */
    private static final class Bound {
        private final Conn conn;
        private final boolean read;
        private final Context.Stop stop;
        private boolean ended; // guarded by this

        Bound(Context ctx, Conn conn, boolean read) throws IOException {
            Objects.requireNonNull(ctx, "ctx");
            Objects.requireNonNull(conn, "conn");
            throwIfDone(ctx);
            this.conn = conn;
            this.read = read;
            Duration left = timeout(ctx);
            if (read) {
                conn.setReadDeadline(left);
            } else {
                conn.setWriteDeadline(left);
            }
            this.stop = Context.afterFunc(ctx, this::interrupt);
        }

        /** The after-function: a past deadline wakes the parked operation. */
        private synchronized void interrupt() {
            if (!ended) {
                try {
                    setDeadline(Instant.EPOCH);
                } catch (IOException closed) {
                    // closed meanwhile: the operation fails on its own
                }
            }
        }

        void end() throws IOException {
            stop.stop(); // outside the monitor: the context's lock is never taken under ours
            synchronized (this) {
                ended = true;
                try {
                    setDeadline(null);
                } catch (NetClosedException closed) {
                    // the caller closed the connection (or the operation failed on a closed one)
                }
            }
        }

        private void setDeadline(Instant t) throws IOException {
            if (read) {
                conn.setReadDeadline(t);
            } else {
                conn.setWriteDeadline(t);
            }
        }
    }

    private static final Runnable ABORTED = () -> { };

    private static void throwIfDone(Context ctx) {
        CancellationException e = ctx.err();
        if (e != null) {
            throw e;
        }
    }

    /**
     * The time left before ctx's deadline, or null for none (a past one: zero, which fails at
     * once). On ctx's clock ({@link Go#now()}, a Synctest bubble's fake time in a bubble); the
     * connection then counts it down on the real clock.
     */
    private static Duration timeout(Context ctx) {
        return ctx.deadline().map(d -> {
            Duration left = Duration.between(Go.now(), d);
            return left.isNegative() ? Duration.ZERO : left;
        }).orElse(null);
    }

    /**
     * ctx's error if it ended (the past deadline was its after-function's), or
     * {@link Context#DEADLINE_EXCEEDED} if ctx's deadline has passed (the poller's copy of it
     * fired before the context's own timer did); else the poller's timeout, which is then not
     * the context's doing.
     */
    private static IOException errOr(Context ctx, DeadlineExceededException e) {
        CancellationException ce = ctx.err();
        if (ce != null) {
            throw ce;
        }
        if (ctx.deadline().filter(d -> !Go.now().isBefore(d)).isPresent()) {
            throw Context.DEADLINE_EXCEEDED;
        }
        return e;
    }

    /** ctx's error; only called once the after-function ran, i.e. ctx ended. */
    private static CancellationException errOrThrow(Context ctx) {
        CancellationException ce = ctx.err();
        if (ce == null) {
            throw new IllegalStateException("goloom: NetContext: the after-function ran but " + ctx + " reports no error");
        }
        return ce;
    }
}
