package io.goloom.scheduler;

import io.goloom.core.Chan;
import io.goloom.core.G;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;

/**
 * A goroutine with a handle: its result or failure, a {@link #done()} channel for Select, and
 * cancellation through its {@link Context} (Kotlin's {@code Deferred}/{@code Job}, Tokio's
 * {@code JoinHandle}). Start one with {@link Go#spawn(Callable)} or {@link #spawn(Context, Body)}.
 *
 * <pre>{@code
 * Task<Integer> t = Task.spawn(ctx, c -> compute(c));   // compute watches c.done()
 * new Select().recv(t.done()).recv(Go.after(Duration.ofSeconds(1)), x -> t.cancel()).run();
 * int v = t.join();                                     // the value, or CompletionException
 * }</pre>
 *
 * <p>A failure thrown by the body is kept for {@link #join()} and does not reach the runtime's
 * panic handler. {@link #cancel()} cancels the task's context; the body stops only if it
 * watches that context (a goroutine cannot be interrupted, as in Go).
 *
 * <p>Memory ordering: the body's outcome is written before {@code done} is closed, and every
 * reader waits for the close first (a receive, or {@code isDone}'s closed-channel check,
 * through the channel's lock), so it sees the outcome.
 */
public final class Task<T> {

    /** A task's body: computes a value, watching {@code ctx} if it can be canceled. */
    @FunctionalInterface
    public interface Body<T> {
        T run(Context ctx) throws Exception;
    }

    private final Context.Cancelable ctx;
    private final Chan<Void> done = new Chan<>();
    private T value;
    private Throwable failure;
    private volatile G g;

    private Task(Context.Cancelable ctx) {
        this.ctx = ctx;
    }

    /** Starts {@code body} in a new goroutine with a cancelable child of {@code parent}. */
    public static <T> Task<T> spawn(Context parent, Body<T> body) {
        Objects.requireNonNull(body, "body");
        Task<T> t = new Task<>(Context.withCancel(Objects.requireNonNull(parent, "parent")));
        t.g = Go.go(() -> {
            try {
                t.value = body.run(t.ctx);
            } catch (Throwable e) {
                t.failure = e;
            } finally {
                t.done.close();
                t.ctx.cancel(); // release it from its parent's children, as Go's deferred cancel
            }
        });
        return t;
    }

    /** The goroutine running the body. */
    public G goroutine() {
        return g;
    }

    /** The task's context: canceled by {@link #cancel()}, with its parent, or when the body ends. */
    public Context context() {
        return ctx;
    }

    /** Closed when the body has returned or thrown; usable in a Select. */
    public Chan<Void> done() {
        return done;
    }

    /** True once the body has returned or thrown. */
    public boolean isDone() {
        return done.tryReceiveOk() instanceof io.goloom.core.Recv<Void> r && !r.ok();
    }

    /** Cancels the task's context (the body sees {@code ctx.done()} closed); idempotent. */
    public void cancel() {
        ctx.cancel();
    }

    /**
     * Waits for the body (parking a goroutine, blocking a plain thread) and returns its value.
     *
     * @throws CompletionException with the body's failure as the cause
     */
    public T join() {
        done.receive();
        if (failure != null) {
            throw new CompletionException(failure);
        }
        return value;
    }

    @Override
    public String toString() {
        return "Task[goroutine " + (g != null ? g.id : "?") + (isDone() ? (failure != null ? ", failed: " + failure : ", done") : ", running") + "]";
    }
}
