package io.goloom.core;

import io.goloom.core.spi.LocalSlots;
import io.goloom.core.spi.SchedLinks;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A value per goroutine: what {@link ThreadLocal} is per thread, for native goroutines, whose
 * {@code Thread.currentThread()} is a carrier shared by every goroutine that runs there (a
 * ThreadLocal in a goroutine is the carrier's, seen by the next goroutine on that carrier and
 * lost when this one moves). Kotlin's {@code ThreadContextElement} and Tokio's
 * {@code task_local!} serve the same need.
 *
 * <pre>{@code
 * static final GoLocal<String> REQUEST_ID = GoLocal.inheritable(() -> "-");
 * REQUEST_ID.set(id);
 * Go.go(() -> log(REQUEST_ID.get()));   // the child sees id: inheritable
 * }</pre>
 *
 * <p>In a goroutine the value lives in the goroutine (it follows it across carriers and yield
 * points). Anywhere else (a plain thread, a JDK virtual thread, which has thread-locals of its
 * own) a GoLocal is a ThreadLocal, or an InheritableThreadLocal for {@link #inheritable}, so
 * code using it runs the same everywhere. {@link #inheritable} values are copied into a
 * goroutine started by {@code go} from a goroutine that has them (a shallow copy of the
 * reference, at the go statement); {@link #withInitial} values are not.
 *
 * <p>Concurrency: a goroutine's values are read and written only by that goroutine (and by its
 * creator before it starts, for inheritance): no lock, no fence. A get is a carrier lookup (an
 * inlined read of the thread register, see {@link Carrier}), two field loads and an array load.
 */
public final class GoLocal<T> {
    /** Stands for an explicit null, so that a set(null) is not taken for "never set". */
    private static final Object NULL = new Object();

    private final int slot;
    private final Supplier<? extends T> initial;
    private final ThreadLocal<T> elsewhere;

    private GoLocal(Supplier<? extends T> initial, boolean inherit) {
        this.initial = Objects.requireNonNull(initial, "initial");
        this.slot = LocalSlots.newSlot(inherit);
        // (InheritableThreadLocal.withInitial is ThreadLocal's static method: not inheritable.)
        this.elsewhere = inherit ? new InheritableThreadLocal<T>() {
            @Override
            protected T initialValue() {
                return initial.get();
            }
        } : ThreadLocal.withInitial(initial);
    }

    /** A GoLocal whose value starts as {@code initial.get()} in each goroutine; not inherited. */
    public static <T> GoLocal<T> withInitial(Supplier<? extends T> initial) {
        return new GoLocal<>(initial, false);
    }

    /** A GoLocal that starts as null; not inherited. */
    public static <T> GoLocal<T> create() {
        return new GoLocal<>(() -> null, false);
    }

    /** A GoLocal whose value a goroutine passes to the goroutines it starts (and a thread to the threads it starts). */
    public static <T> GoLocal<T> inheritable(Supplier<? extends T> initial) {
        return new GoLocal<>(initial, true);
    }

    /** This goroutine's value (or this thread's, outside goroutines); the initial value if never set. */
    @SuppressWarnings("unchecked")
    public T get() {
        G g = G.current();
        if (g != null) {
            // Fast path first: a G with locals is a goroutine (a direct task never gets any).
            Object[] l = SchedLinks.locals(g);
            if (l != null && slot < l.length) {
                Object v = l[slot];
                if (v != null) {
                    return v == NULL ? null : (T) v;
                }
            }
            if (g.directTask == null) {
                T v = initial.get();
                store(g, v);
                return v;
            }
        }
        return elsewhere.get();
    }

    /** Sets this goroutine's value (or this thread's, outside goroutines). */
    public void set(T value) {
        G g = G.current();
        if (g == null || g.directTask != null) {
            elsewhere.set(value);
            return;
        }
        store(g, value);
    }

    /** Forgets this goroutine's value: the next get starts again from the initial value. */
    public void remove() {
        G g = G.current();
        if (g == null || g.directTask != null) {
            elsewhere.remove();
            return;
        }
        Object[] l = SchedLinks.locals(g);
        if (l != null && slot < l.length) {
            l[slot] = null;
        }
    }

    private void store(G g, T value) {
        Object[] l = SchedLinks.locals(g);
        if (l == null || slot >= l.length) {
            Object[] n = new Object[Math.max(slot + 1, l == null ? 8 : l.length * 2)];
            if (l != null) {
                System.arraycopy(l, 0, n, 0, l.length);
            }
            SchedLinks.setLocals(g, n);
            l = n;
        }
        l[slot] = value == null ? NULL : value;
    }

    @Override
    public String toString() {
        return "GoLocal[slot " + slot + "]";
    }
}
