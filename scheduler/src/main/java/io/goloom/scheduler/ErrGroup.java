package io.goloom.scheduler;

import io.goloom.core.Chan;
import io.goloom.core.WaitGroup;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Go's {@code golang.org/x/sync/errgroup}: a group of goroutines working on subtasks of one
 * task, with the first failure kept, the group's context canceled on it, and an optional
 * bound on how many run at once.
 *
 * <pre>{@code
 * ErrGroup g = ErrGroup.withContext(ctx);
 * for (String url : urls) {
 *     g.go(() -> fetch(g.context(), url));   // a failure cancels g.context() for the others
 * }
 * Throwable first = g.await();               // null when every subtask returned normally
 * }</pre>
 *
 * <p>A subtask's failure is anything it throws (Go's errors and panics alike): the first one is
 * kept and, for {@link #withContext}, the group's context is canceled with it as the cause
 * ({@link Context#cause}); later ones are dropped, as Go drops later errors. Nothing thrown by a
 * subtask reaches the runtime's panic handler. {@link #await} waits for every subtask, cancels
 * the context (Go: Wait always cancels it) and returns the first failure.
 *
 * <p>Concurrency: {@link #go}, {@link #tryGo} and {@link #await} may be called from any
 * goroutine or thread. The limit is a buffered channel of tokens, as in Go: {@code go} sends
 * one (blocking while the group is full), a subtask's end receives one. {@link #setLimit} may
 * only be called while no subtask is active.
 */
public final class ErrGroup {

    /** A subtask: returns normally, or throws its failure. */
    @FunctionalInterface
    public interface Subtask {
        void run() throws Exception;
    }

    private final Context.Cancelable ctx;
    private final WaitGroup wg = new WaitGroup();
    private final AtomicReference<Throwable> first = new AtomicReference<>();
    /** Tokens of the running subtasks, capacity = the limit; null without a limit. */
    private volatile Chan<Boolean> sem;

    private ErrGroup(Context.Cancelable ctx) {
        this.ctx = ctx;
    }

    /** A group without a context (Go's zero {@code errgroup.Group}). */
    public static ErrGroup create() {
        return new ErrGroup(null);
    }

    /** A group whose {@link #context()} is a child of {@code parent}, canceled at the first failure or by {@link #await}. */
    public static ErrGroup withContext(Context parent) {
        return new ErrGroup(Context.withCancelCause(parent));
    }

    /** The group's context (for {@link #withContext}); {@link Context#background()} for {@link #create()}. */
    public Context context() {
        return ctx != null ? ctx : Context.background();
    }

    /**
     * At most {@code n} subtasks at once from now on (Go's {@code SetLimit}); negative: no limit.
     *
     * @throws IllegalStateException if subtasks are active
     */
    public void setLimit(int n) {
        Chan<Boolean> s = sem;
        if (s != null && s.len() != 0) {
            throw new IllegalStateException("errgroup: modify limit while " + s.len() + " goroutines in the group are still active");
        }
        sem = n < 0 ? null : new Chan<>(n);
    }

    /** Starts {@code task} in a new goroutine, first waiting while the group is at its limit (Go's {@code Go}). */
    public void go(Subtask task) {
        Objects.requireNonNull(task, "task");
        Chan<Boolean> s = sem;
        if (s != null) {
            s.send(Boolean.TRUE);
        }
        start(task, s);
    }

    /** Starts {@code task} only if the group is below its limit; false otherwise (Go's {@code TryGo}). */
    public boolean tryGo(Subtask task) {
        Objects.requireNonNull(task, "task");
        Chan<Boolean> s = sem;
        if (s != null && !s.trySend(Boolean.TRUE)) {
            return false;
        }
        start(task, s);
        return true;
    }

    private void start(Subtask task, Chan<Boolean> s) {
        wg.add(1);
        try {
            Go.go(() -> {
                try {
                    task.run();
                } catch (io.goloom.core.GoExit exit) {
                    throw exit; // Go.goexit in a subtask: it ends, no failure (as in Go)
                } catch (Throwable t) {
                    if (first.compareAndSet(null, t) && ctx != null) {
                        ctx.cancel(t);
                    }
                } finally {
                    if (s != null) {
                        s.receive();
                    }
                    wg.done();
                }
            });
        } catch (RuntimeException | Error e) {
            // The goroutine was not started (the runtime refused it): nothing to wait for.
            if (s != null) {
                s.receive();
            }
            wg.done();
            throw e;
        }
    }

    /**
     * Waits for every subtask started so far, cancels the group's context, and returns the
     * first failure, or null (Go's {@code Wait}).
     */
    public Throwable await() {
        wg.await();
        Throwable t = first.get();
        if (ctx != null) {
            ctx.cancel(t);
        }
        return t;
    }
}
