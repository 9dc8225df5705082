package io.goloom.bench.compare;

import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code sleep-lateness}: many sleepers of random length; how late each one wakes. goloom's side
 * needs {@code Go.sleep(Duration)} (issue 4); until it exists the workload is skipped. It calls
 * it through a method handle found at run time, so it starts working when the method lands:
 * one indirect call per sleep of milliseconds costs nothing measurable.
 */
final class SleepLatenessWorkload implements Workload {

    /** Seed of the sleep lengths: every run and every system sleeps the same lengths. */
    private static final long SEED = 42;
    private static final int MIN_MS = 1;
    private static final int MAX_MS = 100;

    @Override
    public String name() {
        return "sleep-lateness";
    }

    @Override
    public Metric metric() {
        return Metric.MS;
    }

    @Override
    public boolean recordsLatency() {
        return true;
    }

    @Override
    public List<SystemKind> systems() {
        return List.of(SystemKind.GOLOOM, SystemKind.VTHREADS);
    }

    @Override
    public String skipReason() {
        return goSleep() == null ? "needs Go.sleep(java.time.Duration) (issue 4)" : null;
    }

    @Override
    public String description() {
        return "N = 100,000 sleepers (quick: 20,000), started at once from a plain thread "
                + "(GOMAXPROCS / parallelism = cores), each sleeping a random 1..100 ms (same seeded "
                + "lengths for every run and system) with `Go.sleep` (goloom) or `Thread.sleep` "
                + "(virtual threads). Each records its lateness: wake time - (time before the sleep "
                + "call + length). An untimed round of 2,000 sleepers of 1..10 ms warms up first "
                + "(quick: 1,000). ms = mean lateness; the histogram holds every sleeper's lateness. "
                + "Platform threads: not run (100,000 OS threads measure the kernel's thread "
                + "creation, not timers).";
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        int n = size.pick(100_000, 20_000, 200);
        int warm = size.pick(2_000, 1_000, 20);
        Sleeper sleeper = switch (system) {
            case GOLOOM -> {
                MethodHandle sleep = goSleep();
                if (sleep == null) {
                    throw new IllegalStateException(skipReason());
                }
                yield d -> {
                    try {
                        sleep.invokeExact(d);
                    } catch (RuntimeException | Error e) {
                        throw e;
                    } catch (Throwable e) {
                        throw new RuntimeException(e);
                    }
                };
            }
            case VTHREADS -> Thread::sleep;
            default -> throw new IllegalArgumentException("sleep-lateness does not run on " + system);
        };
        if (system == SystemKind.GOLOOM) {
            try (GoRuntime rt = GoRuntime.create(procs)) {
                round(warm, 10, sleeper, null, rt::go);
                return round(n, MAX_MS, sleeper, recorder, rt::go);
            }
        }
        round(warm, 10, sleeper, null, Thread.ofVirtual()::start);
        return round(n, MAX_MS, sleeper, recorder, Thread.ofVirtual()::start);
    }

    /** A blocking sleep of the system under test. */
    private interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /** Starts a task on the system under test. */
    private interface Starter {
        Object start(Runnable task);
    }

    /** n sleepers of MIN_MS..maxMs; records lateness (when recorder is not null); returns the mean lateness in ms. */
    private static double round(int n, int maxMs, Sleeper sleeper, LatencyRecorder recorder, Starter starter)
            throws InterruptedException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        CountDownLatch done = new CountDownLatch(n);
        LongAdder total = new LongAdder();
        for (int i = 0; i < n; i++) {
            long nanos = rnd.nextInt(MIN_MS, maxMs + 1) * 1_000_000L;
            Duration d = Duration.ofNanos(nanos);
            starter.start(() -> {
                long due = System.nanoTime() + nanos;
                try {
                    sleeper.sleep(d);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("sleeper interrupted", e);
                }
                long late = System.nanoTime() - due;
                total.add(late);
                if (recorder != null) {
                    recorder.record(late);
                }
                done.countDown();
            });
        }
        done.await();
        return total.sum() / (double) n / 1e6;
    }

    /** {@code Go.sleep(Duration)} as a (Duration)void handle, or null while it does not exist. */
    static MethodHandle goSleep() {
        try {
            Method m = Go.class.getMethod("sleep", Duration.class);
            return MethodHandles.publicLookup().unreflect(m).asType(MethodType.methodType(void.class, Duration.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }
}
