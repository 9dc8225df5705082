package io.goloom.scheduler;

import java.lang.instrument.Instrumentation;

/**
 * Transparent mode's entry point: {@code java -javaagent:goloom.jar=scheduler[,procs=N][,verbose] ...}
 * makes every virtual thread of the JVM run on goloom's default runtime
 * ({@link GoRuntime#getDefault()}, carriers named {@code goloom-m<N>}), whoever creates it. The
 * application is not changed: {@code main} runs on the main thread, platform threads stay
 * platform threads; only the virtual threads' scheduler differs.
 *
 * <p>Exactly one line goes to stderr: {@code goloom: virtual threads run on goloom (procs=N, JDK v)},
 * or, when this JDK refuses (another version, virtual threads already in use),
 * {@code goloom: virtual threads stay on the JDK's ForkJoinPool: <why> (JDK v)}, and the
 * application runs on stock virtual threads. The system property
 * {@value #PROPERTY} says which ({@code goloom} or {@code stock}). Bad arguments stop the JVM
 * with status 1 and a message (an exception from premain would abort the JVM with a core dump).
 *
 * <p>Arguments: {@code scheduler} (required: this agent has one mode), {@code procs=N}
 * (GOMAXPROCS; default the {@code goloom.procs} system property, else the JDK's own
 * {@code jdk.virtualThreadScheduler.parallelism} capped by its {@code maxPoolSize}
 * ({@link #adoptJdkParallelism}), else the number of CPUs capped by the container's CPU limit, see CgroupCpu),
 * {@code verbose} (also print how it was installed), {@code quiet} (no line unless refused).
 */
public final class SchedulerAgent {
    private SchedulerAgent() {
    }

    /*
     * No JVM flag beyond goloom.jvmargs. Any java agent (this one too) makes the JVM post JVMTI
     * notifications at every virtual-thread mount and unmount, about a tenth of the cycles of a
     * Thread.yield round trip, on stock virtual threads with a no-op agent as much as here, and
     * -XX:+UnlockExperimentalVMOptions -XX:-DoJVMTIVirtualThreadTransitions turns them off
     * (./goloom run avoids them by using no agent at all: PatchedJavaBase). Do
     * not pass it: on JDK 25 it breaks virtual threads. With it, a virtual thread that contends
     * for a monitor stays pinned to its carrier instead of unmounting (JFR's
     * jdk.VirtualThreadPinned, "Contended monitor enter", pinned reason "Native or VM frame on
     * stack": 1,414 events in one 15 s run of compare's http workload, 8 without the flag), so
     * sysmon hands its P off and the server ran on 16 to 20 carriers for 2 Ps instead of 2; and
     * on stock virtual threads the JDK's HttpServer.stop, and a plain executor of virtual
     * threads taking one monitor, hung.
     */

    /** Set to {@code goloom} or {@code stock} once the agent has run. */
    public static final String PROPERTY = "goloom.virtualThreadScheduler";

    /** {@code -javaagent} entry point. */
    public static void premain(String args, Instrumentation inst) {
        start(args, inst);
    }

    /**
     * Dynamic attach and Launcher-Agent-Class entry point. Virtual threads that exist already
     * keep their scheduler, so a late attach is refused once any virtual thread was created.
     */
    public static void agentmain(String args, Instrumentation inst) {
        start(args, inst);
    }

    /** Parsed arguments. */
    record Options(int procs, boolean verbose, boolean quiet) {
        static Options parse(String args) {
            if (args == null || args.isBlank()) {
                throw new IllegalArgumentException("goloom: the agent needs its mode: -javaagent:goloom.jar=scheduler[,procs=N]");
            }
            boolean scheduler = false;
            boolean verbose = false;
            boolean quiet = false;
            int procs = 0;
            for (String raw : args.split(",")) {
                String a = raw.strip();
                if (a.equals("scheduler")) {
                    scheduler = true;
                } else if (a.equals("verbose")) {
                    verbose = true;
                } else if (a.equals("quiet")) {
                    quiet = true;
                } else if (a.startsWith("procs=")) {
                    try {
                        procs = Integer.parseInt(a.substring("procs=".length()));
                    } catch (NumberFormatException e) {
                        procs = -1;
                    }
                    if (procs < 1) {
                        throw new IllegalArgumentException("goloom: bad agent argument '" + a + "': procs must be a positive integer (procs=2)");
                    }
                } else {
                    throw new IllegalArgumentException("goloom: unknown agent argument '" + a
                            + "' (known: scheduler, procs=N, verbose, quiet; yield points are goloom-agent.jar's: -javaagent:goloom-agent.jar=include=...)");
                }
            }
            if (!scheduler) {
                throw new IllegalArgumentException("goloom: the agent needs its mode: -javaagent:goloom.jar=scheduler[,procs=N] (got '" + args + "')");
            }
            return new Options(procs, verbose, quiet);
        }
    }

    /**
     * GOMAXPROCS of the default runtime, as {@link GoRuntime#getDefault()} will read it. Not
     * asked of GoRuntime: initialising that class in premain would link goloom to the
     * yield-point agent's classes before a later {@code -javaagent:goloom-agent.jar} has put
     * them on the class path (see CarrierPool.DefaultRuntime).
     */
    static int defaultProcs() {
        adoptJdkParallelism();
        Integer set = Integer.getInteger(GoRuntime.PROCS_PROPERTY);
        return set != null ? set : containerDefaultProcs();
    }

    /** Go 1.25's default: the CPUs, capped by the container's CPU limit (CgroupCpu). */
    private static int containerDefaultProcs() {
        return CgroupCpu.open(java.nio.file.Path.of("/")).defaultProcs(Runtime.getRuntime().availableProcessors());
    }

    /** The JDK's own settings of its virtual-thread scheduler's size, which transparent mode honours. */
    static final String JDK_PARALLELISM = "jdk.virtualThreadScheduler.parallelism";
    static final String JDK_MAX_POOL_SIZE = "jdk.virtualThreadScheduler.maxPoolSize";

    /**
     * Transparent mode replaces the JDK's scheduler, so an app's settings of that scheduler's
     * size apply to goloom's when goloom's own setting ({@code --procs}, {@code procs=N},
     * {@code -Dgoloom.procs}) is absent: GOMAXPROCS = {@code jdk.virtualThreadScheduler.parallelism},
     * capped by {@code jdk.virtualThreadScheduler.maxPoolSize} as the JDK caps its parallelism
     * (maxPoolSize alone caps the default). Written to {@code goloom.procs} before the default
     * runtime is built; a value that is not a positive integer is named on stderr and ignored
     * (the JDK would fail the first virtual thread's creation on it).
     */
    static void adoptJdkParallelism() {
        if (System.getProperty(GoRuntime.PROCS_PROPERTY) != null) {
            return;
        }
        Integer procs = jdkParallelism(System::getProperty, true);
        if (procs != null) {
            System.setProperty(GoRuntime.PROCS_PROPERTY, Integer.toString(procs));
        }
    }

    /**
     * GOMAXPROCS from the JDK's settings as {@code props} holds them ({@link #adoptJdkParallelism}),
     * or null when neither is set; {@code warn}: name a bad value on stderr (the JVM that runs
     * the app does; the launcher, which reads the app's options only to print its line, does not).
     */
    static Integer jdkParallelism(java.util.function.Function<String, String> props, boolean warn) {
        Integer parallelism = positive(props, JDK_PARALLELISM, warn);
        Integer max = positive(props, JDK_MAX_POOL_SIZE, warn);
        if (parallelism == null && max == null) {
            return null;
        }
        int procs = parallelism != null ? parallelism : containerDefaultProcs();
        return max != null ? Math.min(procs, max) : procs;
    }

    private static Integer positive(java.util.function.Function<String, String> props, String property, boolean warn) {
        String v = props.apply(property);
        if (v == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        if (warn) {
            System.err.println("goloom: ignoring -D" + property + "=" + v + ": not a positive integer");
        }
        return null;
    }

    /** Installs goloom as every virtual thread's scheduler; null on success, else why not. */
    private static String install(Instrumentation inst, int procs) {
        // First of all: java.base's internals for goloom's classes (G extends a jdk.internal.vm
        // class), in case the manifest's Add-Exports did not apply to the jar they come from.
        JdkBridge.openJavaBase(inst);
        return JdkBridge.install(inst, () -> {
            if (procs > 0) {
                System.setProperty(GoRuntime.PROCS_PROPERTY, Integer.toString(procs));
            }
            return new CarrierPool(defaultProcs());
        });
    }

    private static void start(String args, Instrumentation inst) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        String why;
        try {
            why = install(inst, o.procs());
        } catch (RuntimeException | LinkageError e) {
            why = "installing failed: " + e;
        }
        String jdk = "JDK " + Runtime.version();
        if (why == null) {
            System.setProperty(PROPERTY, "goloom");
            if (!o.quiet()) {
                System.err.println("goloom: virtual threads run on goloom (procs=" + defaultProcs() + ", " + jdk + ")"
                        + (o.verbose() ? " via " + JdkBridge.HOOKS_CLASS + " and a rewritten java.lang.VirtualThread" : ""));
            }
        } else {
            System.setProperty(PROPERTY, "stock");
            System.err.println("goloom: virtual threads stay on the JDK's ForkJoinPool: " + why + " (" + jdk + ")");
        }
    }
}
