package io.goloom.bench.compare;

import io.goloom.core.G;
import io.goloom.scheduler.Go;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/** {@code spawn}: start N trivial tasks and wait for all of them; ns per task. */
final class SpawnWorkload implements Workload {

    private static final Spec SPEC = new Spec("spawn", Metric.NS_PER_OP, false,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.PLATFORM, SystemKind.GOLOOM_VT), Spec.CORES,
            "A main task starts N tasks and waits until all have run (GOMAXPROCS / parallelism = "
            + "cores). Each task decrements a shared AtomicInteger; the one that reaches 0 wakes the "
            + "main task (`Go.unpark` / `LockSupport.unpark`), which parks until then. The main task "
            + "is a goroutine (goloom, `Go.go` per task), a virtual thread (`Thread.ofVirtual().start` "
            + "per task) or a platform thread. N = 1,000,000 (quick: 200,000); an untimed warm-up "
            + "round of N/5 comes first. ns/op = wall time of the timed round / N. Platform threads "
            + "run N = 10,000 (quick: 2,000): a million OS threads measures the kernel, not a "
            + "scheduler, and takes minutes; per-task cost is what is compared.");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        int n = system == SystemKind.PLATFORM
                ? size.pick(10_000, 2_000, 200)
                : size.pick(1_000_000, 200_000, 2_000);
        int warm = Math.max(1, n / 5);
        long nanos = switch (system) {
            case GOLOOM -> Tasks.goloomMain(procs, () -> {
                goloom(warm);
                return goloom(n);
            });
            // goloom-vt: the same code; the child JVM's agent puts every virtual thread on goloom.
            case VTHREADS, GOLOOM_VT -> Tasks.withVirtualThreads(system, procs, vts -> Tasks.virtualMain(vts, () -> {
                threads(Thread.ofVirtual(), warm);
                return threads(Thread.ofVirtual(), n);
            }));
            case PLATFORM -> {
                threads(Thread.ofPlatform(), warm);
                yield threads(Thread.ofPlatform(), n);
            }
            default -> throw new IllegalArgumentException("spawn does not run on " + system + " in a JVM");
        };
        return (double) nanos / n;
    }

    /** From a goroutine: go n tasks, park until the last one is done; returns the wall time. */
    private static long goloom(int n) {
        AtomicInteger left = new AtomicInteger(n);
        G main = Go.current();
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) {
                Go.unpark(main);
            }
        };
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Go.go(task);
        }
        while (left.get() != 0) {
            Go.park();
        }
        return System.nanoTime() - t0;
    }

    /** The same with threads from {@code builder}, from the calling thread. */
    private static long threads(Thread.Builder builder, int n) {
        AtomicInteger left = new AtomicInteger(n);
        Thread main = Thread.currentThread();
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) {
                LockSupport.unpark(main);
            }
        };
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            builder.start(task);
        }
        while (left.get() != 0) {
            LockSupport.park();
        }
        return System.nanoTime() - t0;
    }
}
