package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.JvmFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A goloom runtime: GOMAXPROCS Ps, the Ms that run them, and the goroutines they run. Several
 * runtimes may coexist, each with its own Ps and Ms. Ms are daemon threads created lazily, as
 * the Ps need them; an idle runtime parks all of them (no thread spins or polls).
 *
 * <pre>{@code
 * try (GoRuntime rt = GoRuntime.create()) {
 *     rt.run(() -> {                       // the main goroutine; run() waits for it
 *         for (int i = 0; i < 10; i++) {
 *             int n = i;
 *             Go.go(() -> System.out.println("hello from goroutine " + n));
 *         }
 *     });
 * }
 * }</pre>
 *
 * Closing a runtime stops its Ms (idle ones at once, busy ones at their G's next yield or
 * park) and reports the goroutines still alive; it never waits for user code.
 */
public final class GoRuntime implements AutoCloseable {

    private static final AtomicInteger RUNTIME_SEQ = new AtomicInteger();
    /** The runtimes not yet shut down, and the latency counts of those that were (processSchedLatency). */
    private static final java.util.Set<GoRuntime> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final long[] CLOSED_LATENCY = new long[64 * 4]; // guarded by LIVE
    static {
        io.goloom.core.AgentHook.registerHandler(DirectTasks::agentYieldPoint, DirectTasks::agentVirtualYieldPoint);
    }
    private static volatile GoRuntime defaultRuntime;

    final Scheduler sched;
    private final String name;
    /** Set before the scheduler starts: its sysmon registers the bean once JMX starts (Sysmon.jmxTick). */
    final RuntimeBean bean;
    private final ExecTrace trace;

    private GoRuntime(Builder b) {
        JvmFlags.require(); // before G is first loaded: a missing flag is named, not an IllegalAccessError
        GoEvents.init(); // JFR's recording-state listener, once per JVM (starts no recording)
        this.name = b.name != null ? b.name : "goloom-" + RUNTIME_SEQ.incrementAndGet();
        BiConsumer<G, Throwable> handler = b.panicHandler != null ? b.panicHandler : GoRuntime::defaultPanicHandler;
        if (b.exitOnPanic) {
            BiConsumer<G, Throwable> h = handler;
            handler = (g, t) -> {
                h.accept(g, t);
                System.exit(2); // as Go: an unrecovered panic ends the process with status 2
            };
        }
        int procs = b.procs;
        CgroupCpu cgroup = null;
        int ncpu = b.cgroupNcpu > 0 ? b.cgroupNcpu : Runtime.getRuntime().availableProcessors();
        if (procs == 0) { // not set: follow the container's CPU limit (Go 1.25)
            cgroup = CgroupCpu.open(b.cgroupRoot);
            procs = Math.min(cgroup.defaultProcs(ncpu), b.maxThreads);
        }
        this.sched = new Scheduler(name, procs, b.runqCapacity, b.maxThreads, handler);
        if (cgroup != null) {
            sched.followCgroup(cgroup, ncpu); // before start: sysmon reads it
        }
        sched.deadlockDetection = b.deadlockDetection;
        if (b.bubble != null) {
            b.bubble.attach(sched);
            sched.bubble = b.bubble;
        }
        sched.runtime = this;
        trace = new ExecTrace(sched);
        bean = new RuntimeBean(this);
        sched.start(); // sysmon reads the fields above (runtime.bean: it registers the MXBean once JMX starts)
        trace.startIfEnabled(); // -Dgoloom.debug=trace=N: before the first goroutine
        bean.registerIfJmxStarted(); // at once if the JVM already runs JMX, else sysmon does (see RuntimeBean)
        SchedTrace.startIfEnabled(this);
        LIVE.add(this);
    }

    /** A runtime with GOMAXPROCS = available processors. */
    public static GoRuntime create() {
        return builder().build();
    }

    /** A runtime with the given GOMAXPROCS. */
    public static GoRuntime create(int procs) {
        return builder().procs(procs).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The process-wide default runtime, created on first use with GOMAXPROCS =
     * {@code -Dgoloom.procs} if set, else the default that follows the container's CPU limit
     * (see {@link Builder#procs}). {@link Go#go} from a plain thread uses it.
     */
    public static GoRuntime getDefault() {
        GoRuntime rt = defaultRuntime;
        if (rt == null) {
            synchronized (GoRuntime.class) {
                rt = defaultRuntime;
                if (rt == null) {
                    Integer procs = Integer.getInteger(PROCS_PROPERTY);
                    Builder b = builder().name("goloom");
                    rt = (procs != null ? b.procs(procs) : b).build(); // unset: the container's limit, followed
                    defaultRuntime = rt;
                }
            }
        }
        return rt;
    }

    /** The system property that sets the default runtime's GOMAXPROCS (else the container-aware default). */
    static final String PROCS_PROPERTY = "goloom.procs";

    /** The runtime of the current goroutine, or null on a plain thread. */
    public static GoRuntime current() {
        JvmFlags.require(); // Go.go's first call: G may not be loaded yet
        G g = G.current();
        return g != null && g.sched instanceof Scheduler s ? s.runtime : null;
    }

    /**
     * Starts a goroutine running {@code task}. From a goroutine of this runtime the new G goes
     * into the caller's runnext, as Go's {@code go} statement does. At the thread limit
     * ({@link Builder#maxThreads}) the goroutine is still accepted: it is queued and runs once a
     * carrier is free; go never fails for want of a thread.
     *
     * @throws java.util.concurrent.RejectedExecutionException once the runtime is closed
     */
    public G go(Runnable task) {
        return sched.newproc(task, null);
    }

    /** Starts a goroutine with a name shown in dumps. */
    public G go(String name, Runnable task) {
        return sched.newproc(task, name);
    }

    /**
     * Runs {@code main} as a goroutine and waits for it to return (Go's main). An exception
     * thrown by main is rethrown here. Must be called from a plain thread: waiting inside a
     * goroutine would block its carrier.
     *
     * @throws IllegalStateException when called from a goroutine
     * @throws DeadlockException     when every goroutine is asleep and nothing can wake one (the
     *                               message is the report; see {@link Builder#deadlockDetection})
     * @throws InterruptedException  if the waiting thread is interrupted (main keeps running)
     */
    public void run(Runnable main) throws InterruptedException {
        Objects.requireNonNull(main, "main");
        if (G.current() != null) {
            throw new IllegalStateException("GoRuntime.run must be called from a plain thread, not from goroutine "
                    + G.current().id + "; use Go.go and a channel or WaitGroup inside goroutines");
        }
        Deadlock.MainWait w = new Deadlock.MainWait();
        sched.deadlock.mainWaits.add(w);
        try {
            w.g = sched.newproc(() -> {
                try {
                    main.run();
                } catch (io.goloom.core.GoExit exit) {
                    // Go.goexit in main: main has ended (Go would keep the program running
                    // until every other goroutine exits; run() returns, as when main returns).
                } catch (Throwable t) {
                    w.failure = t;
                } finally {
                    w.done.countDown(); // publishes w.failure
                }
            }, "main");
            w.done.await();
        } finally {
            sched.deadlock.mainWaits.remove(w);
        }
        if (w.deadlock != null && w.g.status() == G.WAITING) {
            throw new DeadlockException(w.deadlock);
        }
        Throwable t = w.failure;
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new RuntimeException(t);
        }
    }

    /**
     * An Executor that runs each Runnable directly on one of this runtime's carriers (an M's own
     * stack, no goroutine), scheduled through the same run queues as goroutines: into the
     * caller's runnext when called from a goroutine or task on this runtime, else the global
     * queue. This is the carrier scheduler for JDK virtual threads on goloom. A task that blocks
     * its carrier in a JDK call gets its P handed off by sysmon, as a goroutine would.
     *
     * @throws java.util.concurrent.RejectedExecutionException from execute once the runtime is closed
     */
    public java.util.concurrent.Executor carrierExecutor() {
        return sched.directTasks::submitTask;
    }

    /** GOMAXPROCS: the number of Ps (it changes with {@link #setMaxProcs}). */
    public int procs() {
        return sched.gomaxprocs;
    }

    /**
     * Sets GOMAXPROCS while the runtime runs and returns the previous value (Go's
     * {@code runtime.GOMAXPROCS(n)}). Ps are added or retired at once; a retired P's goroutines
     * move to the other Ps (its M gives it up at its next scheduling point) and its timers still
     * fire on time: nothing is lost or run twice. Unlike Go, {@code n < 1} is not a query (use
     * {@link #procs()}): a computed 0 would otherwise silently change nothing. Like Go 1.25, an
     * explicit value stops this runtime from following the container's CPU limit.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     * @throws IllegalStateException if the runtime is closed
     */
    public int setMaxProcs(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("GOMAXPROCS must be at least 1, got " + n + " (use procs() to read it)");
        }
        return sched.setMaxProcs(n, true);
    }

    /**
     * Goes back to the default GOMAXPROCS and follows it again (Go 1.25's
     * {@code runtime.SetDefaultGOMAXPROCS}): the available processors capped by the container's
     * CPU limit (cgroup v2 {@code cpu.max} or v1 quota, parents included), which sysmon re-reads
     * about once a second. Returns the previous GOMAXPROCS.
     *
     * @throws IllegalStateException if the runtime is closed
     */
    public int setDefaultMaxProcs() {
        return sched.setDefaultMaxProcs();
    }

    public String name() {
        return name;
    }

    /** Number of live goroutines (Go's runtime.NumGoroutine). */
    public int numGoroutine() {
        return sched.allgs.size();
    }

    public boolean isClosed() {
        return sched.stopping;
    }

    /**
     * Goroutines of this runtime now, with the stacks of those parked or running (a runnable
     * one's stack is not walked while the runtime runs: see {@link #dump()}).
     */
    public List<GoroutineInfo> goroutines() {
        List<GoroutineInfo> out = new ArrayList<>();
        List<M> ms = sched.allm();
        for (G g : sched.allgs.snapshot()) {
            out.add(info(g, ms, false));
        }
        return out;
    }

    /**
     * The goroutine dump, Go's format (what Go prints on SIGQUIT): every goroutine with its wait
     * reason and how long it has waited, its stack (user frames first, goloom's own frames
     * folded) and its creator; then the virtual threads on this runtime's carriers, the Ps and
     * the Ms. From outside the process: {@code ./goloom dump <pid>}, or the operation of the same
     * name on the MXBean {@code io.goloom:type=Runtime,name=<name>}. Any thread; racy (nothing
     * is stopped while it looks).
     */
    public String dump() {
        return Dump.text(this);
    }

    /** {@link #dump()} as one JSON object, for tools. */
    public String dumpJson() {
        return Dump.json(this);
    }

    /**
     * The MXBean's name while the runtime is open, else null. Registers the bean first if the JVM
     * had no MBean server yet (it is otherwise registered only once JMX starts: see
     * {@link GoRuntimeMXBean}), so this may create the platform MBean server.
     */
    public javax.management.ObjectName mxBeanName() {
        return bean.objectName();
    }

    /** A G's snapshot; its stack as a dump takes it ({@link Dump#stackOf}), empty when not taken. */
    static GoroutineInfo info(G g, List<M> ms, boolean quiescent) {
        int s = g.status();
        List<StackTraceElement> stack = Dump.stackOf(g, s, ms, quiescent);
        if (stack == null) {
            stack = List.of();
        }
        return new GoroutineInfo(g.id, g.name, G.statusName(s), s == G.WAITING ? g.waitReason().toString() : "", stack);
    }

    /**
     * Stops the runtime and returns the goroutines still alive (none when every G finished).
     * Idle Ms exit at once; an M busy in a G exits when that G next yields or parks. Never
     * waits for user code: it waits at most one second for the Ms, and returns even if a
     * goroutine that never reaches a yield point (a loop without {@link Go#checkpoint}, a JDK
     * call that does not return) still occupies its carrier thread. Such a thread keeps
     * running until its goroutine yields, parks or ends (Java cannot stop it); the goroutine is
     * in the returned list as running, and {@link #close()} names the thread. Idempotent.
     * After it, {@link #go} throws {@link java.util.concurrent.RejectedExecutionException}.
     */
    public List<GoroutineInfo> shutdown() {
        return infos(shutdownGs());
    }

    private List<G> shutdownGs() {
        bean.unregister();
        List<G> alive = Shutdown.shutdown(sched, 1000);
        trace.stop(); // the rings stay readable: trace().writeTo after close shows the end
        synchronized (LIVE) {
            if (LIVE.remove(this)) { // once: shutdown is idempotent
                long[] c = sched.schedLatencyCounts();
                for (int i = 0; i < c.length; i++) {
                    CLOSED_LATENCY[i] += c[i];
                }
            }
        }
        return alive;
    }

    private List<GoroutineInfo> infos(List<G> alive) {
        List<GoroutineInfo> out = new ArrayList<>(alive.size());
        List<M> ms = sched.allm();
        for (G g : alive) {
            out.add(info(g, ms, true));
        }
        return out;
    }

    /**
     * {@link #shutdown()}, printing to stderr the goroutines still alive, if there are any, and
     * the carrier threads still running after the wait (each named with the goroutine it runs),
     * which leak until their goroutine reaches a yield point.
     */
    @Override
    public void close() {
        boolean wasClosed = sched.stopping;
        AssertionError broken = SchedChaos.ON && !wasClosed ? SchedInvariants.beforeClose(sched) : null; // tests only
        List<G> alive = shutdownGs();
        if (wasClosed) {
            return;
        }
        if (SchedChaos.ON) {
            SchedInvariants.afterShutdown(sched, broken); // tests only: throws on a broken invariant
        }
        String report = Shutdown.report(sched, alive);
        if (!report.isEmpty()) {
            System.err.println(report);
        }
    }

    /**
     * The report of the first time this runtime hit its thread limit ({@link Builder#maxThreads}):
     * an IllegalStateException whose message says what happened and names the option to raise,
     * or null if the limit was never in the way. It is also printed once to stderr when it
     * happens. Hitting the limit loses nothing and fails no call: goroutines that could not get
     * a carrier wait in their run queues until one comes back from its blocking call.
     */
    public IllegalStateException threadLimitError() {
        return sched.threadLimitError();
    }

    /**
     * How many times runnable work found no carrier because of the thread limit (every M busy or
     * blocked, none idle, none could be started). 0 when the limit never mattered.
     */
    public long threadLimitHits() {
        return sched.threadLimitHits.get();
    }

    /**
     * Carrier threads (Ms) this runtime counts now: at most {@link #procs()} plus
     * {@link #blockedCarriers()}, beyond that only for a moment after a blocked carrier comes
     * back. A carrier that came back to one carrier too many retires: its thread's name ends
     * with {@code " (retired)"} from the moment it stops counting here until the thread ends.
     */
    public int carrierCount() {
        return sched.threadCount();
    }

    /**
     * Carriers that are truly blocked right now (pinned in a JDK call, in native code, in
     * {@code Go.blocking}) and whose P was therefore handed to another carrier. Each one is a
     * carrier beyond {@link #procs()}; it retires when its blocking call ends.
     */
    public int blockedCarriers() {
        return sched.blockedCarriers();
    }

    /**
     * A snapshot of this runtime's metrics, with Go's runtime/metrics names where Go has the
     * metric (see {@link Metrics}). Any thread; costs a pass over the Ps and the goroutines.
     */
    public Metrics metrics() {
        return Metrics.read(sched);
    }

    /**
     * This runtime's flight recorder (an execution trace of the last events of every P, off until
     * started; see {@link ExecTrace}): {@code trace().start()}, later {@code trace().writeTo(path)},
     * then {@code ./goloom trace <file>} for Perfetto.
     */
    public ExecTrace trace() {
        return trace;
    }

    /**
     * The sampled scheduling latency of every runtime this JVM has built, open or closed (a
     * benchmark's child JVM reports it whatever runtimes its workload made).
     */
    public static SchedLatency processSchedLatency() {
        long[] sum;
        synchronized (LIVE) {
            sum = CLOSED_LATENCY.clone();
            for (GoRuntime rt : LIVE) {
                long[] c = rt.sched.schedLatencyCounts();
                for (int i = 0; i < c.length; i++) {
                    sum[i] += c[i];
                }
            }
        }
        return new SchedLatency(sum);
    }

    /** Metrics: the sampled ready -> running latency, as counts per log-linear bucket. */
    public SchedLatency schedLatency() {
        return new SchedLatency(sched.schedLatencyCounts());
    }

    @Override
    public String toString() {
        return "GoRuntime[" + name + ", procs=" + procs() + ", goroutines=" + numGoroutine() + "]";
    }

    static void defaultPanicHandler(G g, Throwable t) {
        System.err.print(G.panicReport(g, t));
        System.err.flush();
    }

    /** Builds a runtime. */
    public static final class Builder {
        /** 0: not set, the container-aware default that the runtime follows (see {@link #procs}). */
        private int procs;
        /** Tests only: the directory standing for "/" when looking for the cgroup, and the CPU count. */
        private java.nio.file.Path cgroupRoot = java.nio.file.Path.of("/");
        private int cgroupNcpu;
        private String name;
        private BiConsumer<G, Throwable> panicHandler;
        private boolean exitOnPanic;
        private int runqCapacity = RunQueue.DEFAULT_CAPACITY;
        private int maxThreads = 10_000;
        private boolean deadlockDetection = true;
        private Bubble bubble;

        private Builder() {
        }

        /**
         * GOMAXPROCS, at least 1. If not set, the default follows the container as Go 1.25's
         * does: min(available processors, max(2, ceil(CPU limit))) where the limit is the
         * cgroup's quota / period (v2 {@code cpu.max}, v1 {@code cpu.cfs_quota_us} /
         * {@code cpu.cfs_period_us}, the tightest of the process's cgroup and its parents), and
         * sysmon re-reads it about once a second and applies a change (see
         * {@link GoRuntime#setMaxProcs}: an explicit value, here or there, stops that).
         */
        public Builder procs(int procs) {
            if (procs < 1) {
                throw new IllegalArgumentException("procs (GOMAXPROCS) must be at least 1, got " + procs);
            }
            this.procs = procs;
            return this;
        }

        /** Name prefix of the M threads. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Called on the M when an exception escapes a goroutine. Default: print a Go-style panic
         * report (exception, goroutine id, stack) to stderr; the runtime keeps running.
         */
        public Builder panicHandler(BiConsumer<G, Throwable> handler) {
            this.panicHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Exit the process with status 2 after reporting a panic, as Go does. Default false. */
        public Builder exitOnPanic(boolean exit) {
            this.exitOnPanic = exit;
            return this;
        }

        /**
         * The most Ms (carrier threads) this runtime may create, Go's maxmcount (default
         * 10,000; at least {@link #procs}). Ms beyond GOMAXPROCS exist only while Gs sit in
         * blocking calls ({@link Go#blocking} or a JDK call that blocks the carrier). Go dies at
         * its limit ("thread exhaustion"); goloom does not. When every carrier is busy or blocked
         * and runnable goroutines need one more, they wait in their run queues and run as soon as
         * a carrier comes back: nothing is lost, and {@code go}, {@code ready}, channel operations
         * and executors never throw because of the limit. The first time it happens the runtime
         * reports it once, as an IllegalStateException printed to stderr and returned by
         * {@link GoRuntime#threadLimitError()} (its message names this option);
         * {@link GoRuntime#threadLimitHits()} counts the occurrences. If the blocked carriers
         * wait for goroutines that are queued behind them, the program stops making progress: raise
         * the limit or block fewer goroutines at once.
         */
        public Builder maxThreads(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxThreads must be at least 1, got " + max);
            }
            this.maxThreads = max;
            return this;
        }

        /**
         * Go's "all goroutines are asleep - deadlock!": while {@link GoRuntime#run} waits and
         * every goroutine sleeps with nothing left to wake one (no timer, no poller waiter, no
         * blocking call, no virtual thread), run throws {@link DeadlockException} with the report.
         * Default true. Turn it off when plain JVM threads feed goroutines (through channels or
         * unpark) while main waits: goloom cannot see what a plain thread will do later.
         */
        public Builder deadlockDetection(boolean on) {
            this.deadlockDetection = on;
            return this;
        }

        /** A {@link Synctest} bubble: this runtime's timers run on the bubble's fake clock. */
        Builder bubble(Bubble b) {
            this.bubble = b;
            return this;
        }

        /** Local run queue size (power of two); tests use tiny ones. Default 256. */
        Builder runqCapacity(int capacity) {
            this.runqCapacity = capacity;
            return this;
        }

        public GoRuntime build() {
            return new GoRuntime(this);
        }

        /** Tests only: look for the cgroup under {@code root} (a fake /proc and cgroup tree) with {@code ncpu} processors. */
        Builder cgroupForTest(java.nio.file.Path root, int ncpu) {
            this.cgroupRoot = Objects.requireNonNull(root, "root");
            this.cgroupNcpu = ncpu;
            return this;
        }
    }

    // ---- virtual threads and executors (issue 7) ----

    /**
     * A new builder of JDK virtual threads that run on this runtime: the JDK's own
     * {@code Thread.Builder.OfVirtual}, made with this runtime's carrier scheduler, so each
     * mount of such a thread is a task in the same run queues as goroutines. Inside those threads
     * every JDK blocking call unmounts as usual, and ThreadLocals and
     * {@code Thread.currentThread()} behave as the JDK documents; virtual threads they create
     * with {@code Thread.ofVirtual()} inherit this runtime. Builders are not thread-safe (one per
     * use); their {@code factory()} is.
     *
     * @throws UnsupportedOperationException if this JDK refuses a custom virtual-thread
     *         scheduler; the message names the JDK version and the JVM flag goloom needs
     *         ({@code --add-opens java.base/java.lang=ALL-UNNAMED}). Goroutines are unaffected.
     */
    public Thread.Builder.OfVirtual virtualThreads() {
        return VirtualThreads.of(this).builder();
    }

    /**
     * A thread-safe factory of virtual threads that run on this runtime
     * ({@code virtualThreads().factory()}).
     *
     * @throws UnsupportedOperationException as {@link #virtualThreads()}
     */
    public java.util.concurrent.ThreadFactory virtualThreadFactory() {
        return virtualThreads().factory();
    }

    /**
     * {@link java.util.concurrent.Executors#newVirtualThreadPerTaskExecutor()} on this runtime:
     * one new virtual thread per task, with the JDK's contract ({@code close} waits for every
     * task, {@code shutdownNow} interrupts them).
     *
     * @throws UnsupportedOperationException as {@link #virtualThreads()}
     */
    public java.util.concurrent.ExecutorService newVirtualThreadPerTaskExecutor() {
        return java.util.concurrent.Executors.newThreadPerTaskExecutor(virtualThreadFactory());
    }

    /**
     * Live JDK virtual threads on this runtime: started through {@link #virtualThreads()} and
     * its factories or inherited from such threads, and not terminated. 0 if none was ever
     * started (or this JDK refuses custom schedulers); -1 if this JDK does not let goloom tell
     * which thread a scheduled continuation belongs to. Costs a pass over the live threads.
     */
    public int virtualThreadCount() {
        VirtualThreads vts = VirtualThreads.peek(this);
        return vts == null ? 0 : vts.liveCount();
    }

    /** The live virtual threads of this runtime with their stacks (see {@link #virtualThreadCount()}). */
    public List<VirtualThreadInfo> virtualThreadDump() {
        VirtualThreads vts = VirtualThreads.peek(this);
        return vts == null ? List.of() : vts.dump();
    }

    /**
     * A new {@link java.util.concurrent.ExecutorService} whose every task runs as a goroutine of
     * this runtime, with its own lifecycle (shutting it down does not close the runtime), and
     * the JDK's contracts except one: goroutines cannot be interrupted (their
     * {@code Thread.currentThread()} is a shared carrier). So {@code Future.cancel(true)} acts
     * as {@code cancel(false)} (the result is discarded, a task not yet started never runs, a
     * running one, even one parked in a goloom primitive, runs on), and {@code shutdownNow}
     * returns the tasks not yet started (cancelling those that are futures) and leaves running
     * ones running. A task counts as started when its goroutine begins. Waiting on the executor
     * or its futures from a goroutine ({@code awaitTermination}, {@code close}, {@code get},
     * {@code invokeAll}, {@code invokeAny}) parks the goroutine, never its carrier.
     */
    public java.util.concurrent.ExecutorService executor() {
        return new GoExecutorService(this);
    }
}
