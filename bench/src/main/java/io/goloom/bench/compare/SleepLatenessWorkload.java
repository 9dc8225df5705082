package io.goloom.bench.compare;

import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sleep-lateness}: many sleepers of random length; how late each one wakes. Two sizes:
 * 100,000 sleepers (a wake-up storm of about a million wake-ups a second on two cores) and
 * {@code sleep-lateness-10k} with 10,000.
 */
final class SleepLatenessWorkload implements Workload {

    private final Spec spec;
    private final int full, quick;

    /** The 100,000-sleeper workload of issue 2. */
    SleepLatenessWorkload() {
        this("sleep-lateness", 100_000, 20_000);
    }

    SleepLatenessWorkload(String name, int full, int quick) {
        this.full = full;
        this.quick = quick;
        this.spec = new Spec(name, Metric.MS, true,
                List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.GOLOOM_VT), Spec.CORES,
                String.format(java.util.Locale.ROOT, "N = %,d sleepers (quick: %,d), started", full, quick)
                + " at once from a plain thread "
                + "(GOMAXPROCS / parallelism = cores), each sleeping a random 1..100 ms (same seeded "
                + "lengths for every run and system) with `Go.sleep` (goloom) or `Thread.sleep` "
                + "(virtual threads). Each stores its lateness, wake time - (time before the sleep "
                + "call + length), in its own slot; the round records them after the last one "
                + "woke. Untimed rounds of the same N and lengths come first: at least two, for at "
                + "least 2 s, and on the JVM until a round spends under 5% of its time compiling "
                + "(CompilationMXBean; at most 10 s of rounds; quick: one round and 0.5 s, 2 s at "
                + "most). A cold round measures C1/C2 compiling the wake-up path, not the timers: "
                + "goloom's p99 at 100,000 fell from ~230 to ~10-60 ms after two rounds, and C2 "
                + "still took most of a core 1.5 s into a 10,000-sleeper run. "
                + "ms = mean lateness; the histogram holds every sleeper's lateness. "
                + "Platform threads: not run (100,000 OS threads measure the kernel's thread "
                + "creation, not timers).");
    }

    @Override
    public Spec spec() {
        return spec;
    }

    /** Seed of the sleep lengths: every run and every system sleeps the same lengths. */
    private static final long SEED = 42;
    private static final int MIN_MS = 1;
    private static final int MAX_MS = 100;

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        int n = size.pick(full, quick, 200);
        Sleeper sleeper = switch (system) {
            case GOLOOM -> Go::sleep;
            case VTHREADS, GOLOOM_VT -> Thread::sleep;
            default -> throw new IllegalArgumentException("sleep-lateness does not run on " + system);
        };
        if (system == SystemKind.GOLOOM) {
            try (GoRuntime rt = GoRuntime.create(procs)) {
                warmUp(size, () -> round(n, MAX_MS, sleeper, null, rt::go));
                return round(n, MAX_MS, sleeper, recorder, rt::go);
            }
        }
        return Tasks.withVirtualThreads(system, procs, vts -> {
            warmUp(size, () -> round(n, MAX_MS, sleeper, null, vts::start));
            return round(n, MAX_MS, sleeper, recorder, vts::start);
        });
    }

    /** One untimed round. */
    private interface Round {
        void run() throws InterruptedException;
    }

    /**
     * Runs untimed rounds until the measured one can start: at least two (quick, test: one), for
     * at least 2 s (quick: 0.5 s; test: no minimum), and until the JIT is quiet: the last round
     * spent under 5% of its wall time compiling. At most 10 s of rounds (quick: 2 s; test: one
     * round), then the measured round starts anyway. The Go program runs the same minimums.
     *
     * <p>Why: on two cores a round of 10,000 sleepers takes about 110 ms, and two of them left
     * C2 compiling the wake-up path through the measured round, taking 60-100% of a core from
     * the carriers (per-thread CPU from /proc/PID/task/TID/schedstat; it went quiet about 1.7 s
     * in). The measured lateness was then the compiler's, for every JVM system alike.
     */
    private static void warmUp(Size size, Round round) throws InterruptedException {
        int minRounds = size.pick(2, 1, 1);
        long minNanos = size.pick(2_000, 500, 0) * 1_000_000L;
        long maxNanos = size.pick(10_000, 2_000, 0) * 1_000_000L;
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watchJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        for (int rounds = 1; ; rounds++) {
            long t0 = System.nanoTime();
            long compiling0 = watchJit ? jit.getTotalCompilationTime() : 0;
            round.run();
            long t1 = System.nanoTime();
            long compilingMs = watchJit ? jit.getTotalCompilationTime() - compiling0 : 0;
            boolean jitQuiet = compilingMs * 20 * 1_000_000L <= t1 - t0;
            long elapsed = t1 - start;
            if (rounds >= minRounds && (elapsed >= maxNanos || (elapsed >= minNanos && jitQuiet))) {
                return;
            }
        }
    }

    /** A blocking sleep of the system under test. */
    private interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /** Starts a task on the system under test. */
    private interface Starter {
        Object start(Runnable task);
    }

    /**
     * n sleepers of MIN_MS..maxMs; records lateness (when recorder is not null); returns the mean
     * lateness in ms. A sleeper only stores its lateness in its own slot of an array; the slots go
     * into the recorder after the round: recording from the sleepers themselves measured the
     * recorder (its concurrent histogram resizes under a lock, and a goroutine that blocks on a
     * lock blocks its carrier) and the JIT compiling it in the measured round, not the timers.
     */
    private static double round(int n, int maxMs, Sleeper sleeper, LatencyRecorder recorder, Starter starter)
            throws InterruptedException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        CountDownLatch done = new CountDownLatch(n);
        long[] lateness = new long[n]; // slot i written by sleeper i only; read after done.await()
        for (int i = 0; i < n; i++) {
            long nanos = rnd.nextInt(MIN_MS, maxMs + 1) * 1_000_000L;
            Duration d = Duration.ofNanos(nanos);
            int slot = i;
            starter.start(() -> {
                long due = System.nanoTime() + nanos;
                try {
                    sleeper.sleep(d);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("sleeper interrupted", e);
                }
                lateness[slot] = System.nanoTime() - due;
                done.countDown();
            });
        }
        done.await();
        long total = 0;
        for (long late : lateness) {
            total += late;
            if (recorder != null) {
                recorder.record(late);
            }
        }
        return total / (double) n / 1e6;
    }
}
