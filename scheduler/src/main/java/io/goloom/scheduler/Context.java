package io.goloom.scheduler;

import io.goloom.core.Chan;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;

/**
 * Go's {@code context.Context}: a cancellation signal, a deadline and request-scoped values,
 * passed down a call tree. {@link #done()} is a channel that is closed when the context is
 * canceled or its deadline passes, so a goroutine watches it in a {@link io.goloom.core.Select}
 * beside its other cases, as in Go; {@link #err()} then says why ({@link #CANCELED} or
 * {@link #DEADLINE_EXCEEDED}), and {@link #cause} what the canceller gave.
 *
 * <pre>{@code
 * try (Context.Cancelable ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(2))) {
 *     new Select().recv(results, r -> use(r)).recv(ctx.done()).run();
 *     if (ctx.err() != null) ... // timed out
 * }                              // close() = Go's defer cancel()
 * }</pre>
 *
 * <p>Canceling a context cancels every context derived from it (never its parent), closes
 * their {@code done()} channels once each, stops their deadline timers and runs their
 * {@link #afterFunc} functions, each in its own goroutine. Deadlines use the timer wheel of the
 * P the context is created on (through {@link Go#afterFunc}); no thread sleeps for them. A
 * deadline later than the parent's is the parent's (Go: such a context is just a cancel scope).
 *
 * <p>Concurrency: every method may be called from any goroutine, virtual thread or plain
 * thread. A cancelable context's state (err, cause, children, timer) is guarded by its own
 * monitor; monitors are never nested (cancel snapshots the children under its monitor and
 * cancels them after releasing it; a child leaves its parent's set under the parent's monitor
 * alone), so they are leaves of ARCHITECTURE.md's lock order. {@code err} is volatile and is
 * written once, by the cancel that wins under the monitor, before that same cancel closes
 * {@code done()} outside the monitor: a goroutine woken by the close (the channel's lock orders
 * the two) sees {@code err()} non-null, and only the winner closes, so the close happens once.
 * Contexts are goloom's own kinds only (the class is sealed): propagation never needs Go's
 * watcher goroutine for foreign implementations.
 */
public abstract sealed class Context permits Context.Background, Context.Cancelable, Context.ValueContext, Context.WithoutCancel {

    /** {@link #err()} of a context canceled by its cancel function (Go's {@code context.Canceled}). */
    public static final CancellationException CANCELED = new ContextError("context canceled");

    /** {@link #err()} of a context whose deadline passed (Go's {@code context.DeadlineExceeded}). */
    public static final CancellationException DEADLINE_EXCEEDED = new ContextError("context deadline exceeded");

    private static final Background BACKGROUND = new Background("context.Background");
    private static final Background TODO = new Background("context.TODO");

    private Context() {
    }

    /** The context's deadline, if it or an ancestor has one (Go's {@code Deadline()}). */
    public abstract Optional<Instant> deadline();

    /**
     * A channel closed when this context is canceled or its deadline passes; never closed for
     * {@link #background()} and {@link #withoutCancel} (Go returns nil there: a case on it never
     * fires, as here). Receive from it, or put it in a Select.
     */
    public abstract Chan<Void> done();

    /** Null while {@link #done()} is open; then {@link #CANCELED} or {@link #DEADLINE_EXCEEDED}. */
    public abstract CancellationException err();

    /** The value bound to {@code key} by this context or the nearest ancestor, else null (Go's {@code Value}). */
    public abstract Object value(Object key);

    // ---- channel operations bounded by a context or a timeout ----
    //
    // Go writes these as a select; here they are a Select underneath, so they keep its rules:
    // exactly one case fires (a value is either taken or sent, or the operation reports
    // the context's error, never both), and when both are ready at once, one is chosen at
    // random, as Go's select does. They live here, not on Chan: core (Chan) cannot see the
    // scheduler's Context. Each call allocates its Select (and, for the timeouts, a Timer);
    // a loop that cares builds one Select over ch and ctx.done() and reuses it.

    /**
     * Receives from {@code ch} unless this context is done first (Go's
     * {@code select { case v := <-ch: ... case <-ctx.Done(): return ctx.Err() }}). Returns
     * the value, or null once {@code ch} is closed and drained (as {@link Chan#receive()}).
     *
     * @throws CancellationException this context's {@link #err()} ({@link #CANCELED} or
     *         {@link #DEADLINE_EXCEEDED}) if it was done first; then nothing was received
     */
    public final <T> T receive(Chan<T> ch) {
        io.goloom.core.Select s = new io.goloom.core.Select().recv(Objects.requireNonNull(ch, "ch")).recv(done());
        if (s.run() == 1) {
            throw err(); // non-null: done() is closed only after err is written
        }
        return s.received();
    }

    /**
     * {@link #receive(Chan)} that also says whether the value came from a send
     * ({@link io.goloom.core.Recv#ok()}) or from the channel's close.
     *
     * @throws CancellationException this context's {@link #err()} if it was done first
     */
    public final <T> io.goloom.core.Recv<T> receiveOk(Chan<T> ch) {
        io.goloom.core.Select s = new io.goloom.core.Select().recv(Objects.requireNonNull(ch, "ch")).recv(done());
        if (s.run() == 1) {
            throw err();
        }
        return new io.goloom.core.Recv<>(s.received(), s.ok()); // (null, false) once ch is closed, as Chan.receiveOk
    }

    /**
     * Sends {@code v} on {@code ch} unless this context is done first (Go's
     * {@code select { case ch <- v: case <-ctx.Done(): return ctx.Err() }}). If it throws,
     * the value was not sent: no receiver ever sees it.
     *
     * @throws CancellationException this context's {@link #err()} if it was done first
     * @throws io.goloom.core.ChanClosedException if {@code ch} is closed
     */
    public final <T> void send(Chan<T> ch, T v) {
        Objects.requireNonNull(v, "v");
        io.goloom.core.Select s = new io.goloom.core.Select().send(Objects.requireNonNull(ch, "ch"), v).recv(done());
        if (s.run() == 1) {
            throw err();
        }
    }

    /**
     * Receives from {@code ch}, waiting at most {@code timeout} (Go's
     * {@code select { case v := <-ch: case <-time.After(d): }}), on the P's timer wheel (a
     * bubble's fake clock inside {@link Synctest}). Returns the value, or null once {@code ch}
     * is closed and drained.
     *
     * @throws CancellationException {@link #DEADLINE_EXCEEDED} if the timeout passed first;
     *         then nothing was received
     */
    public static <T> T receiveWithin(Chan<T> ch, Duration timeout) {
        Objects.requireNonNull(ch, "ch");
        Timer t = Go.newTimer(timeout);
        try {
            io.goloom.core.Select s = new io.goloom.core.Select().recv(ch).recv(t.c());
            if (s.run() == 1) {
                throw DEADLINE_EXCEEDED;
            }
            return s.received();
        } finally {
            t.stop(); // frees the wheel slot at once (and discards a value that lost the select)
        }
    }

    /**
     * Sends {@code v} on {@code ch}, waiting at most {@code timeout} for a receiver or room.
     * If it throws, the value was not sent.
     *
     * @throws CancellationException {@link #DEADLINE_EXCEEDED} if the timeout passed first
     * @throws io.goloom.core.ChanClosedException if {@code ch} is closed
     */
    public static <T> void sendWithin(Chan<T> ch, T v, Duration timeout) {
        Objects.requireNonNull(ch, "ch");
        Objects.requireNonNull(v, "v");
        Timer t = Go.newTimer(timeout);
        try {
            if (new io.goloom.core.Select().send(ch, v).recv(t.c()).run() == 1) {
                throw DEADLINE_EXCEEDED;
            }
        } finally {
            t.stop();
        }
    }

    /** The root of every context tree: never canceled, no deadline, no values (Go's {@code context.Background()}). */
    public static Context background() {
        return BACKGROUND;
    }

    /** Like {@link #background()}, for code that does not know yet which context to use (Go's {@code context.TODO()}). */
    public static Context todo() {
        return TODO;
    }

    /** A child of {@code parent} canceled by its {@link Cancelable#cancel()} or with its parent (Go's {@code WithCancel}). */
    public static Cancelable withCancel(Context parent) {
        Objects.requireNonNull(parent, "cannot create context from null parent");
        Cancelable c = new Cancelable(parent, parent.deadline().orElse(null), "WithCancel");
        c.propagate();
        return c;
    }

    /**
     * Like {@link #withCancel}; its {@link Cancelable#cancel(Throwable)} records a cause that
     * {@link #cause} returns for it and its descendants (Go's {@code WithCancelCause}).
     */
    public static Cancelable withCancelCause(Context parent) {
        return withCancel(parent);
    }

    /**
     * A child of {@code parent} that is also canceled, with {@link #DEADLINE_EXCEEDED}, at
     * {@code deadline} (Go's {@code WithDeadline}). A deadline already past cancels it at once.
     */
    public static Cancelable withDeadline(Context parent, Instant deadline) {
        Objects.requireNonNull(parent, "cannot create context from null parent");
        Objects.requireNonNull(deadline, "deadline");
        Optional<Instant> inherited = parent.deadline();
        if (inherited.isPresent() && !inherited.get().isAfter(deadline)) {
            return withCancel(parent); // the parent's deadline comes first
        }
        return withTimeoutUntil(parent, Duration.between(Go.now(), deadline), deadline);
    }

    /** {@link #withDeadline} at now + {@code timeout} (Go's {@code WithTimeout}). */
    public static Cancelable withTimeout(Context parent, Duration timeout) {
        Objects.requireNonNull(parent, "cannot create context from null parent");
        Objects.requireNonNull(timeout, "timeout");
        Instant deadline = Go.now().plus(timeout);
        Optional<Instant> inherited = parent.deadline();
        if (inherited.isPresent() && !inherited.get().isAfter(deadline)) {
            return withCancel(parent);
        }
        return withTimeoutUntil(parent, timeout, deadline);
    }

    private static Cancelable withTimeoutUntil(Context parent, Duration timeout, Instant deadline) {
        Cancelable c = new Cancelable(parent, deadline, "WithDeadline(" + deadline + ")");
        c.propagate();
        if (timeout.isNegative() || timeout.isZero()) {
            c.cancel(true, DEADLINE_EXCEEDED, null);
            return c;
        }
        c.armDeadline(timeout);
        return c;
    }

    /** A child of {@code parent} that binds {@code key} to {@code value} (Go's {@code WithValue}); key must not be null. */
    public static Context withValue(Context parent, Object key, Object value) {
        Objects.requireNonNull(parent, "cannot create context from null parent");
        Objects.requireNonNull(key, "context key must not be null");
        return new ValueContext(parent, key, value);
    }

    /**
     * A context with {@code parent}'s values that is never canceled, not even with its parent,
     * and has no deadline (Go's {@code WithoutCancel}).
     */
    public static Context withoutCancel(Context parent) {
        Objects.requireNonNull(parent, "cannot create context from null parent");
        return new WithoutCancel(parent);
    }

    /**
     * Why {@code ctx} was canceled: the cause given to {@link Cancelable#cancel(Throwable)} of it
     * or of the ancestor whose cancel reached it, else its {@link #err()}; null while it is not
     * canceled (Go's {@code context.Cause}).
     */
    public static Throwable cause(Context ctx) {
        Cancelable c = nearestCancelable(Objects.requireNonNull(ctx, "ctx"));
        if (c == null) {
            return null;
        }
        synchronized (c) {
            return c.cause;
        }
    }

    /** Stops an {@link #afterFunc} registration. */
    @FunctionalInterface
    public interface Stop {
        /** True if this call kept the function from running; false if it had started or was stopped already. */
        boolean stop();
    }

    /**
     * Runs {@code f} in its own goroutine once {@code ctx} is done (at once if it is already);
     * at most once (Go's {@code context.AfterFunc}). The returned {@link Stop} unregisters it.
     */
    public static Stop afterFunc(Context ctx, Runnable f) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(f, "f");
        AfterFunc a = new AfterFunc(f);
        Cancelable c = nearestCancelable(ctx);
        if (c != null && !c.add(a)) {
            a.canceled(c.err, null); // already canceled
        }
        return () -> {
            boolean stopped = a.claim();
            if (stopped && c != null) {
                c.remove(a);
            }
            return stopped;
        };
    }

    /** The nearest context at or above {@code ctx} that can be canceled, or null (Go's parentCancelCtx). */
    private static Cancelable nearestCancelable(Context ctx) {
        for (Context c = ctx; ; ) {
            switch (c) {
                case Cancelable k -> {
                    return k;
                }
                case ValueContext v -> c = v.parent;
                case Background b -> {
                    return null;
                }
                case WithoutCancel w -> {
                    return null;
                }
            }
        }
    }

    /** Something a cancelable context cancels with itself: a child context or an afterFunc. */
    private interface Canceler {
        void canceled(CancellationException err, Throwable cause);
    }

    // =====================================================================================
    // The kinds

    static final class Background extends Context {
        private static final Chan<Void> NEVER = new Chan<>();
        private final String name;

        private Background(String name) {
            this.name = name;
        }

        @Override
        public Optional<Instant> deadline() {
            return Optional.empty();
        }

        @Override
        public Chan<Void> done() {
            return NEVER;
        }

        @Override
        public CancellationException err() {
            return null;
        }

        @Override
        public Object value(Object key) {
            return null;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * A context with a cancel function: {@link #withCancel}, {@link #withCancelCause},
     * {@link #withDeadline}, {@link #withTimeout}. {@link #close()} cancels it, so
     * try-with-resources is Go's {@code defer cancel()}.
     */
    public static final class Cancelable extends Context implements AutoCloseable, Canceler {
        private final Context parent;
        /** The nearest cancelable ancestor, which holds this one in its children; null if none. */
        private final Cancelable parentCancel;
        private final Instant deadline;
        private final String kind;
        private final Chan<Void> done = new Chan<>();
        /** Written once under this monitor by the winning cancel, read without it. */
        private volatile CancellationException err;
        /** Guarded by this. */
        private Throwable cause;
        /** Guarded by this; null once canceled. */
        private Set<Canceler> children = new LinkedHashSet<>();
        /** Guarded by this: the deadline timer, stopped on cancel. */
        private Timer timer;

        private Cancelable(Context parent, Instant deadline, String kind) {
            this.parent = parent;
            this.parentCancel = nearestCancelable(parent);
            this.deadline = deadline;
            this.kind = kind;
        }

        /** Joins the nearest cancelable ancestor's children, or is canceled at once if it already is. */
        private void propagate() {
            if (parentCancel != null && !parentCancel.add(this)) {
                canceled(parentCancel.err, causeOf(parentCancel));
            }
        }

        private static Throwable causeOf(Cancelable c) {
            synchronized (c) {
                return c.cause;
            }
        }

        private void armDeadline(Duration timeout) {
            Timer t = Go.afterFunc(timeout, () -> cancel(true, DEADLINE_EXCEEDED, null));
            boolean late;
            synchronized (this) {
                late = err != null;
                if (!late) {
                    timer = t;
                }
            }
            if (late) {
                t.stop(); // canceled (by the parent) while the timer was being made
            }
        }

        /** Adds c unless this context is canceled already (then false). */
        private synchronized boolean add(Canceler c) {
            if (err != null) {
                return false;
            }
            children.add(c);
            return true;
        }

        private synchronized void remove(Canceler c) {
            if (children != null) {
                children.remove(c);
            }
        }

        /** Cancels this context and its descendants with {@link #CANCELED} (Go's {@code cancel()}); idempotent. */
        public void cancel() {
            cancel(true, CANCELED, null);
        }

        /**
         * Cancels this context with {@link #CANCELED}, recording {@code cause} for {@link #cause}
         * (null: the cause is {@code CANCELED}); idempotent: the first cancel's cause stays
         * (Go's {@code CancelCauseFunc}).
         */
        public void cancel(Throwable cause) {
            cancel(true, CANCELED, cause);
        }

        /** {@link #cancel()}. */
        @Override
        public void close() {
            cancel();
        }

        @Override
        public void canceled(CancellationException err, Throwable cause) {
            cancel(false, err, cause); // from the parent, which drops its children set itself
        }

        private void cancel(boolean removeFromParent, CancellationException e, Throwable c) {
            Set<Canceler> kids;
            Timer t;
            Throwable why = c != null ? c : e;
            synchronized (this) {
                if (err != null) {
                    return; // canceled already: the first cancel's err and cause stay
                }
                cause = why;
                err = e; // volatile, after cause: err() != null implies cause is set
                kids = children;
                children = null;
                t = timer;
                timer = null;
            }
            done.close(); // only the winner above gets here: once
            if (t != null) {
                t.stop();
            }
            for (Canceler k : kids) {
                k.canceled(e, why); // descendants inherit the cause (Go's cancel(false, err, cause))
            }
            if (removeFromParent && parentCancel != null) {
                parentCancel.remove(this);
            }
        }

        @Override
        public Optional<Instant> deadline() {
            return Optional.ofNullable(deadline);
        }

        @Override
        public Chan<Void> done() {
            return done;
        }

        @Override
        public CancellationException err() {
            return err;
        }

        @Override
        public Object value(Object key) {
            return parent.value(key);
        }

        @Override
        public String toString() {
            return parent + "." + kind;
        }
    }

    static final class ValueContext extends Context {
        private final Context parent;
        private final Object key;
        private final Object val;

        private ValueContext(Context parent, Object key, Object val) {
            this.parent = parent;
            this.key = key;
            this.val = val;
        }

        @Override
        public Optional<Instant> deadline() {
            return parent.deadline();
        }

        @Override
        public Chan<Void> done() {
            return parent.done();
        }

        @Override
        public CancellationException err() {
            return parent.err();
        }

        @Override
        public Object value(Object k) {
            for (Context c = this; ; ) {
                switch (c) {
                    case ValueContext v -> {
                        if (v.key.equals(k)) {
                            return v.val;
                        }
                        c = v.parent;
                    }
                    default -> {
                        return c.value(k);
                    }
                }
            }
        }

        @Override
        public String toString() {
            return parent + ".WithValue(" + key + ", " + val + ")";
        }
    }

    static final class WithoutCancel extends Context {
        private final Context parent;

        private WithoutCancel(Context parent) {
            this.parent = parent;
        }

        @Override
        public Optional<Instant> deadline() {
            return Optional.empty();
        }

        @Override
        public Chan<Void> done() {
            return Background.NEVER;
        }

        @Override
        public CancellationException err() {
            return null;
        }

        @Override
        public Object value(Object key) {
            return parent.value(key);
        }

        @Override
        public String toString() {
            return parent + ".WithoutCancel";
        }
    }

    /** An afterFunc registration: runs f once, unless stop claimed it first. */
    private static final class AfterFunc implements Canceler {
        private final Runnable f;
        private final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();

        AfterFunc(Runnable f) {
            this.f = f;
        }

        /** True for the first caller of run-or-stop. */
        boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        @Override
        public void canceled(CancellationException err, Throwable cause) {
            if (claim()) {
                Go.go(f);
            }
        }
    }

    /** The two sentinel errors: no stack trace (they are values, as Go's), fixed messages. */
    private static final class ContextError extends CancellationException {
        ContextError(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
