package io.goloom.bench.compare;

import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
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
                + "woke. Two untimed rounds of the same N and lengths warm the JIT up first (quick: one): a cold first round measures C1/C2 compiling the wake-up path "
                + "(goloom's p99 at 100,000 fell from ~230 to ~10-60 ms once warm), not the "
                + "timers. ms = mean lateness; the histogram holds every sleeper's lateness. "
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
        int warmRounds = size.pick(2, 1, 1);
        Sleeper sleeper = switch (system) {
            case GOLOOM -> Go::sleep;
            case VTHREADS, GOLOOM_VT -> Thread::sleep;
            default -> throw new IllegalArgumentException("sleep-lateness does not run on " + system);
        };
        if (system == SystemKind.GOLOOM) {
            try (GoRuntime rt = GoRuntime.create(procs)) {
                for (int i = 0; i < warmRounds; i++) {
                    round(n, MAX_MS, sleeper, null, rt::go);
                }
                return round(n, MAX_MS, sleeper, recorder, rt::go);
            }
        }
        return Tasks.withVirtualThreads(system, procs, vts -> {
            for (int i = 0; i < warmRounds; i++) {
                round(n, MAX_MS, sleeper, null, vts::start);
            }
            return round(n, MAX_MS, sleeper, recorder, vts::start);
        });
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
