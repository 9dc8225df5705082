package io.goloom.scheduler;

import io.goloom.core.G;

/**
 * Go's built-ins for Java: {@code go}, {@code runtime.Gosched}, and friends, as static calls.
 * Calls that need a goroutine throw {@link IllegalStateException} on a plain thread;
 * {@link #go} from a plain thread uses {@link GoRuntime#getDefault()}.
 */
public final class Go {
    private Go() {
    }

    /** Starts a goroutine on the current goroutine's runtime, or on the default runtime. */
    public static G go(Runnable task) {
        GoRuntime rt = GoRuntime.current();
        return (rt != null ? rt : GoRuntime.getDefault()).go(task);
    }

    /**
     * Yields the processor: the current G goes to the tail of its P's local run queue and the
     * next runnable G runs. Cheaper than {@link #gosched} and keeps locality.
     */
    public static void yield() {
        G.currentOrThrow("Go.yield").yieldAs(G.EXEC_YIELD);
    }

    /** Go's runtime.Gosched: the current G goes to the global run queue. */
    public static void gosched() {
        G.currentOrThrow("Go.gosched").yieldAs(G.EXEC_GOSCHED);
    }

    /**
     * A yield point: one volatile read when no preemption is requested; when sysmon asked the
     * current G to yield, it goes to the global queue (as Go's preempted Gs). A no-op on a plain
     * thread. If the G cannot yield (pinned by a native frame), the request stays pending for
     * the next yield point.
     */
    public static void checkpoint() {
        G g = G.current();
        if (g != null && g.preempt) {
            g.preempt = false;
            if (!g.yieldAs(G.EXEC_PREEMPT)) {
                g.preempt = true; // pinned: keep the request for the next yield point
            }
        }
    }

    /**
     * Runs a call that may block its carrier thread (a JDK socket read, a JDBC call, a file
     * read) as Go runs a system call: the goroutine keeps its carrier but lends its P to
     * sysmon's judgement; if the call takes longer than a sysmon tick while other goroutines
     * wait, the P is handed to another M. Afterwards the goroutine takes its P back with one
     * CAS, or another idle P, or waits on the global queue. On a plain thread it simply runs
     * the call. JDK blocking calls made without this wrapper are detected by sysmon too (a
     * carrier seen BLOCKED/WAITING for a tick), just a little later.
     */
    public static <T> T blocking(java.util.concurrent.Callable<T> call) throws Exception {
        java.util.Objects.requireNonNull(call, "call");
        G g = G.current();
        if (g != null && g.sched instanceof Scheduler s && s.currentM() instanceof M m) {
            return s.blocking(m, call);
        }
        return call.call();
    }

    /** {@link #blocking(java.util.concurrent.Callable)} for a call that returns nothing and throws nothing checked. */
    public static void blocking(Runnable call) {
        java.util.Objects.requireNonNull(call, "call");
        try {
            blocking(() -> {
                call.run();
                return null;
            });
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e); // a Runnable throws nothing checked
        }
    }

    /** The current goroutine, or null on a plain thread. */
    public static G current() {
        return G.current();
    }

    /** The current goroutine's id. */
    public static long id() {
        return G.currentOrThrow("Go.id").id;
    }

    /**
     * Parks the current goroutine until {@link #unpark} gives it a permit (LockSupport-style:
     * an unpark that comes first is remembered; there are no spurious returns).
     */
    public static void park() {
        G.parkPermit();
    }

    /** Makes {@code g}'s permit available, readying it if it is parked in {@link #park}. Any thread. */
    public static void unpark(G g) {
        g.unpark();
    }

    /** Live goroutines of the current (or default) runtime. */
    public static int numGoroutine() {
        GoRuntime rt = GoRuntime.current();
        return (rt != null ? rt : GoRuntime.getDefault()).numGoroutine();
    }
}
