package io.goloom.scheduler;

import io.goloom.core.G;

/**
 * Go's built-ins for Java: {@code go}, {@code runtime.Gosched}, and friends, as static calls.
 * Calls that need a goroutine throw {@link IllegalStateException} on a plain thread;
 * {@link #go} from a plain thread uses {@link GoRuntime#getDefault()}.
 *
 * <h2>Interrupts</h2>
 * Go has no interrupts, and a native goroutine has no thread of its own: its
 * {@code Thread.currentThread()} is the carrier, shared with every goroutine that runs there.
 * {@code Thread.currentThread().interrupt()} (for example the usual
 * {@code catch (InterruptedException e)} idiom) therefore sets the carrier's flag, and so does
 * an interrupt aimed at a carrier thread from outside. The flag is honoured by JDK calls the
 * goroutine makes while it keeps running ({@code Thread.sleep} throws), and it is cleared when
 * the goroutine next leaves the carrier (it yields, parks or ends): it never reaches another
 * goroutine, and idle carriers ignore it. To cancel a goroutine, close a channel or use a
 * context it watches, as in Go. In virtual-thread mode ({@link GoRuntime#virtualThreads()})
 * each task is a real {@code Thread} with the JDK's interrupt semantics.
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
     * Starts {@code task} in a new goroutine (as {@link #go}) and returns a handle: its value or
     * failure ({@link Task#join()}), a done channel for Select, cancellation through its
     * context. A failure stays in the handle instead of reaching the panic handler.
     */
    public static <T> Task<T> spawn(java.util.concurrent.Callable<T> task) {
        java.util.Objects.requireNonNull(task, "task");
        return Task.spawn(Context.background(), ctx -> task.call());
    }

    /**
     * Ends the current goroutine (Go's {@code runtime.Goexit}): its {@code finally} blocks run
     * on the way down, then it ends without a panic report. Never returns. Thrown as
     * {@link io.goloom.core.GoExit}, an Error: {@code catch (Exception e)} lets it through,
     * {@code catch (Throwable t)} must rethrow it.
     *
     * @throws IllegalStateException outside a goroutine (a plain thread or a JDK virtual thread)
     */
    public static void goexit() {
        G g = G.currentOrThrow("Go.goexit");
        if (g.directTask != null) {
            throw new IllegalStateException("Go.goexit must be called from a goroutine, not from a virtual thread or task: "
                    + Thread.currentThread());
        }
        throw io.goloom.core.GoExit.INSTANCE;
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
        G.checkpoint();
    }

    /**
     * Runs a call that may block its carrier thread (a JDK socket read, a JDBC call, a file or
     * FIFO read, a native call through FFM, a host-name lookup) as Go runs a system call: the
     * goroutine keeps its carrier but lends its P to sysmon's judgement; if the call takes
     * longer than a sysmon tick while other goroutines wait, the P is handed to another M.
     * Afterwards the goroutine takes its P back with one CAS, or another idle P, or waits on
     * the global queue. On a plain thread it simply runs the call.
     *
     * <p>This is the way to mark a call that may block: the P is free at once. Blocking calls
     * made without this wrapper are detected by sysmon too, later:
     * <ul>
     *   <li>a carrier seen BLOCKED/WAITING/TIMED_WAITING (a JDK lock, {@code Object.wait},
     *       {@code Thread.sleep}, {@code LockSupport.park}) for more than a tick;</li>
     *   <li>native blocking, where the carrier stays RUNNABLE (an FFM downcall, a
     *       {@code FileInputStream} read of a FIFO, pipe or terminal, the JDK's native
     *       resolver): when the goroutine has left a preemption request unanswered for
     *       about 20 ms while its thread used no CPU over the last millisecond (and, on Linux,
     *       the kernel has the thread sleeping). So an unmarked native block stalls the
     *       goroutines queued behind it for about 20 ms before its P is handed off.</li>
     * </ul>
     */
    public static <T> T blocking(java.util.concurrent.Callable<T> call) throws Exception {
        java.util.Objects.requireNonNull(call, "call");
        G g = G.current();
        return g != null ? g.sched.blocking(call) : call.call();
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

    // ---- time: timers live in the Ps' wheels, run by the Ms in findRunnable; no timer thread ----

    /**
     * Pauses the current goroutine for at least {@code d} (Go's time.Sleep). A zero or negative
     * duration returns at once. A yield point: the goroutine parks and its P runs others. On a
     * plain thread it is {@code Thread.sleep}.
     */
    public static void sleep(java.time.Duration d) {
        G g = G.current();
        long now = g != null ? g.sched.nanoTime() : System.nanoTime(); // a bubble's fake clock (Synctest)
        long deadline = Timer.deadline(now, d);
        if (deadline - now <= 0) {
            return;
        }
        if (g == null || g.sched.timerQueue() == null) { // a plain thread, or a scheduler without timers
            try {
                Thread.sleep(d);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        // The timer is armed by the park commit, after the G is WAITING, so its fire can only
        // ready a parked G. Arming works from any thread: a P lost to sysmon does not matter.
        g.gopark(io.goloom.core.WaitReason.SLEEP, SleepTimer.ARM, new SleepTimer(g, deadline));
    }

    /**
     * The current time (Go's {@code time.Now()}): {@link java.time.Instant#now()}, or inside a
     * {@link Synctest} bubble the bubble's fake time (2000-01-01T00:00:00Z when the bubble
     * starts, moved only by the bubble's timers). Timers and tickers send this time; contexts
     * compute their deadlines from it.
     */
    public static java.time.Instant now() {
        G g = G.current();
        return g != null && g.sched instanceof Scheduler s ? s.now() : java.time.Instant.now();
    }

    /** A new timer that sends the time on its channel after {@code d}. */
    public static Timer newTimer(java.time.Duration d) {
        Timer t = new Timer(scheduler(), new io.goloom.core.Chan<>(1), null);
        t.start(d);
        return t;
    }

    /** Go's time.After: a channel that receives the time after {@code d}. */
    public static io.goloom.core.Chan<java.time.Instant> after(java.time.Duration d) {
        return newTimer(d).c();
    }

    /** Go's time.AfterFunc: runs {@code f} in its own goroutine after {@code d}; stop() cancels it. */
    public static Timer afterFunc(java.time.Duration d, Runnable f) {
        java.util.Objects.requireNonNull(f, "f");
        Timer t = new Timer(scheduler(), null, f);
        t.start(d);
        return t;
    }

    /** Go's time.NewTicker: sends the time on its channel every {@code period} (positive). */
    public static Ticker newTicker(java.time.Duration period) {
        return new Ticker(scheduler(), period);
    }

    private static Scheduler scheduler() {
        GoRuntime rt = GoRuntime.current();
        return (rt != null ? rt : GoRuntime.getDefault()).sched;
    }

    /** The current goroutine, or null on a plain thread. */
    public static G current() {
        io.goloom.core.JvmFlags.require(); // may be goloom's first call: G may not be loaded yet
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
