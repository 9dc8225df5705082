package io.goloom.bench.compare;

import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code yield}: two tasks on one processor taking turns; ns per switch. goloom: {@code Go.yield()}
 * (the current G to its P's local tail); virtual threads: {@code Thread.yield()} with
 * parallelism 1.
 */
final class YieldWorkload implements Workload {

    private static final Spec SPEC = new Spec("yield", Metric.NS_PER_OP, false,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.GOLOOM_VT), 1,
            "Two tasks on one processor (GOMAXPROCS 1 / parallelism 1) take turns: each loops "
            + "`Go.yield()` (goloom) or `Thread.yield()` (virtual threads) and counts the yields "
            + "in a shared counter. The first 1,000,000 yields are warm-up (quick: 200,000); the "
            + "next 5,000,000 are timed (quick: 1,000,000). ns/op = timed wall time / timed yields, "
            + "i.e. the cost of one switch from one task to the other. Platform threads: not run "
            + "(they cannot be held to one processor from inside the JVM, so `Thread.yield()` "
            + "would not switch between them).");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        Turns t = new Turns(size.pick(1_000_000, 200_000, 2_000), size.pick(5_000_000, 1_000_000, 10_000));
        switch (system) {
            case GOLOOM -> {
                try (GoRuntime rt = GoRuntime.create(procs)) {
                    CountDownLatch done = new CountDownLatch(2);
                    Runnable body = () -> {
                        t.goloom();
                        done.countDown();
                    };
                    rt.go(body);
                    rt.go(body);
                    done.await();
                }
            }
            case VTHREADS, GOLOOM_VT -> Tasks.withVirtualThreads(system, procs, vts -> {
                Thread a = vts.start(t::virtual);
                Thread b = vts.start(t::virtual);
                a.join();
                b.join();
                return null;
            });
            default -> throw new IllegalArgumentException("yield does not run on " + system);
        }
        return (double) (t.end - t.start) / t.timed;
    }

    /**
     * The shared counter. Plain fields: with one processor only one of the two tasks runs at a
     * time, and the scheduler's hand-off from one to the other orders their accesses; the
     * caller reads start/end after joining both.
     */
    private static final class Turns {
        final long warm;
        final long timed;
        long count;
        long start;
        long end;

        Turns(long warm, long timed) {
            this.warm = warm;
            this.timed = timed;
        }

        /** Returns true when the run is over. */
        private boolean step() {
            long c = ++count;
            if (c == warm) {
                start = System.nanoTime();
            } else if (c == warm + timed) {
                end = System.nanoTime();
            }
            return c >= warm + timed;
        }

        void goloom() {
            while (!step()) {
                Go.yield();
            }
        }

        void virtual() {
            while (!step()) {
                Thread.yield();
            }
        }
    }
}
