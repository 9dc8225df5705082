package io.goloom.bench.compare;

import com.example.fairness.Hog;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * {@code fairness}: four CPU-bound tasks and one ticker on two processors. The ticker wants to
 * wake every 10 ms; its lateness histogram shows whether CPU-bound code can hold a processor
 * hostage. On goloom the hogs are plain loops ({@link Hog}) that call nothing: the preemption
 * agent instruments their back-edges and sysmon's requests make them yield. On stock virtual
 * threads the same loops run uninstrumented (the ForkJoinPool never preempts).
 */
final class FairnessWorkload implements Workload {

    static final int HOGS = 4;
    static final long PERIOD_NS = 10_000_000L;
    /** goroutines=: the hogs are goloom-aware code whose loops may switch native goroutines (agent/README.md). */
    static final String AGENT_ARGS = "goroutines=com.example.fairness.";

    private static final Spec SPEC = new Spec("fairness", Metric.MS, true,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.GOLOOM_VT), 2,
            "GOMAXPROCS 2 / parallelism 2. Four CPU-bound tasks spin in a plain loop (no goloom call, "
            + "nothing that blocks) for 5 s (quick: 2 s) while a fifth task sleeps to its next 10 ms "
            + "tick in a loop and records, for every wake-up, how late it woke past the tick "
            + "(`Go.sleep` / `Thread.sleep`; missed ticks are skipped, not replayed; the clock starts "
            + "once the runtime exists, just before the tasks). ms = mean "
            + "lateness; the histogram holds every wake-up. goloom runs the hogs' package under the "
            + "preemption agent (`-javaagent:goloom-agent.jar=" + AGENT_ARGS + "`), so their loop "
            + "back-edges carry yield points that sysmon's requests (10 ms without progress, or a "
            + "timer overdue by 0.5 ms) trigger; stock virtual threads run the same loops uninstrumented; goloom-vt runs the stock virtual-thread code in a JVM whose virtual threads are all on goloom (transparent mode: the scheduler agent) and, in addition, under the same preemption agent (its yield point calls Thread.yield() for them). "
            + "A goloom run fails if any hog made no progress. Platform threads: not run (the OS "
            + "time-slices them; there is nothing to compare).");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public String skipReason() {
        return agentJar() == null ? "needs the agent jar (agent/target/goloom-agent-*.jar: run ./goloom build)" : null;
    }

    @Override
    public List<String> jvmArgs(SystemKind system) {
        Path jar = agentJar();
        return system != SystemKind.VTHREADS && jar != null ? List.of("-javaagent:" + jar + "=" + AGENT_ARGS) : List.of();
    }

    /** The agent jar: -Dgoloom.agent.jar, else agent/target next to the bench module. */
    static Path agentJar() {
        String prop = System.getProperty("goloom.agent.jar");
        if (prop != null) {
            return Files.isRegularFile(Path.of(prop)) ? Path.of(prop).toAbsolutePath() : null;
        }
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            // .../bench/target/goloom-bench.jar or .../bench/target/classes
            Path benchTarget = p.getParent();
            if (benchTarget == null || benchTarget.getParent() == null) {
                continue;
            }
            Path agentTarget = benchTarget.getParent().resolveSibling("agent").resolve("target");
            if (Files.isDirectory(agentTarget)) {
                try (Stream<Path> s = Files.list(agentTarget)) {
                    Path jar = s.filter(f -> f.getFileName().toString().matches("goloom-agent-.*\\.jar")
                            // not the sources/javadoc jars that ./goloom install (release profile) adds
                            && !f.getFileName().toString().matches(".*-(sources|javadoc|tests)\\.jar")).findFirst().orElse(null);
                    if (jar != null) {
                        return jar;
                    }
                } catch (java.io.IOException e) {
                    return null;
                }
            }
        }
        return null;
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        // test size: 1 s, not less: on a loaded 2-core machine (load average 12 seen) a 300 ms window
        // left a hog unscheduled on goloom although preemption worked (2 s windows passed).
        long runNanos = size.pick(5_000, 2_000, 1_000) * 1_000_000L; // ms
        AtomicLongArray progress = new AtomicLongArray(HOGS);
        Histogram h = recorder.newWriter();
        long[] sum = new long[2]; // total lateness, ticks
        CountDownLatch done = new CountDownLatch(HOGS + 1);
        // The window [start, end) opens once the runtime exists, just before the tasks start:
        // the ticker's first tick measures fairness, not how long a runtime takes to boot
        // (goloom's creation loads the scheduler, the poller's FFM bindings and the timers:
        // tens of ms on a cold JVM). Written before the tasks start, so they see it.
        long[] window = new long[2];
        Runnable ticker = () -> {
            long end = window[1];
            long next = window[0] + PERIOD_NS;
            while (next < end) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    if (system == SystemKind.GOLOOM) {
                        Go.sleep(Duration.ofNanos(wait));
                    } else {
                        try {
                            Thread.sleep(Duration.ofNanos(wait));
                        } catch (InterruptedException e) {
                            throw new RuntimeException(e);
                        }
                    }
                }
                long now = System.nanoTime();
                long late = Math.max(0, now - next);
                h.recordValue(late);
                sum[0] += late;
                sum[1]++;
                next += PERIOD_NS;
                if (next - now <= 0) {
                    next += ((now - next) / PERIOD_NS + 1) * PERIOD_NS; // skip missed ticks
                }
            }
            done.countDown();
        };
        if (system == SystemKind.GOLOOM) {
            try (GoRuntime rt = GoRuntime.create(procs)) {
                openWindow(window, runNanos);
                startAll(rt::go, ticker, progress, window[1], done);
                done.await();
            }
        } else if (system == SystemKind.VTHREADS || system == SystemKind.GOLOOM_VT) {
            Tasks.withVirtualThreads(system, procs, vts -> {
                openWindow(window, runNanos);
                startAll(vts::start, ticker, progress, window[1], done);
                done.await();
                return null;
            });
        } else {
            throw new IllegalArgumentException("fairness does not run on " + system);
        }
        // goloom with the agent promises every hog progresses inside the window; stock virtual
        // threads (and goloom without the agent, as in the in-process tests) promise nothing.
        // goloom-vt always runs with the yield-point agent (jvmArgs): a runtime not linked to it
        // could not preempt a hog, and the ticker would starve (seen when the scheduler agent
        // built the runtime in its premain, before the yield-point agent's jar was on the class path).
        if (system == SystemKind.GOLOOM_VT && !io.goloom.core.AgentHook.present()) {
            throw new IllegalStateException("fairness: goloom-vt runs with the yield-point agent, but goloom's runtime is not"
                    + " linked to it (AgentHook.present() is false), so no hog can be preempted");
        }
        if (system != SystemKind.VTHREADS && io.goloom.core.AgentHook.present()) {
            for (int i = 0; i < HOGS; i++) {
                if (progress.get(i) == 0) {
                    throw new IllegalStateException("fairness: hog " + i + " made no progress on " + system);
                }
            }
        }
        return sum[1] == 0 ? 0 : sum[0] / (double) sum[1] / 1e6;
    }

    private static void openWindow(long[] window, long runNanos) {
        window[0] = System.nanoTime();
        window[1] = window[0] + runNanos;
    }

    private static void startAll(java.util.function.Consumer<Runnable> start, Runnable ticker,
                                 AtomicLongArray progress, long end, CountDownLatch done) {
        for (int i = 0; i < HOGS; i++) {
            int me = i;
            start.accept(() -> {
                progress.set(me, Hog.spinUntil(end));
                done.countDown();
            });
        }
        start.accept(ticker);
    }
}
