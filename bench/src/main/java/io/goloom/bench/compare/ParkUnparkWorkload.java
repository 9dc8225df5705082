package io.goloom.bench.compare;

import io.goloom.core.G;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * {@code park-unpark}: two tasks wake each other in turn; ns per wake and the wake-up latency
 * (from just before the unpark call to the woken task running).
 */
final class ParkUnparkWorkload implements Workload {

    private static final Spec SPEC = new Spec("park-unpark", Metric.NS_PER_OP, true,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.PLATFORM, SystemKind.GOLOOM_VT), Spec.CORES,
            "Two tasks (GOMAXPROCS / parallelism = cores) pass a turn back and forth. The task "
            + "whose turn it is writes `System.nanoTime()` into a shared volatile, hands the turn "
            + "over and unparks the other (`Go.unpark(G)`, i.e. park/ready, on goloom; "
            + "`LockSupport.unpark` on virtual and platform threads), then parks until the turn "
            + "comes back. The woken task records now - that timestamp: the wake-up latency. "
            + "200,000 wakes of warm-up (quick: 50,000), then 1,000,000 timed and recorded wakes "
            + "(quick: 100,000). ns/op = timed wall time / timed wakes; the histogram holds every "
            + "timed wake.");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        Turn t = new Turn(size.pick(200_000, 50_000, 500), size.pick(1_000_000, 100_000, 2_000));
        switch (system) {
            case GOLOOM -> {
                try (GoRuntime rt = GoRuntime.create(procs)) {
                    CountDownLatch done = new CountDownLatch(2);
                    G[] gs = new G[2];
                    for (int i = 0; i < 2; i++) {
                        int me = i;
                        Histogram h = recorder.newWriter();
                        gs[i] = rt.go(() -> {
                            t.goloom(me, gs, h);
                            done.countDown();
                        });
                    }
                    t.start();
                    Go.unpark(gs[0]); // from this plain thread: gs[] was written before turn (volatile)
                    done.await();
                }
            }
            case VTHREADS, GOLOOM_VT -> Tasks.withVirtualThreads(system, procs, vts -> {
                threads(vts::start, t, recorder);
                return null;
            });
            case PLATFORM -> threads(r -> Thread.ofPlatform().start(r), t, recorder);
            default -> throw new IllegalArgumentException("park-unpark does not run on " + system + " in a JVM");
        }
        return (double) (t.end - t.start) / t.timed;
    }

    private static void threads(Tasks.VtStarter start, Turn t, LatencyRecorder recorder) throws InterruptedException {
        Thread[] ts = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int me = i;
            Histogram h = recorder.newWriter();
            ts[i] = start.start(() -> t.threads(me, ts, h));
        }
        t.start();
        LockSupport.unpark(ts[0]);
        ts[0].join();
        ts[1].join();
    }

    /**
     * The turn both tasks pass. {@code turn} is the hand-off: a task touches {@code wakes},
     * {@code start}, {@code end} only while {@code turn} is its own, and its volatile write of
     * {@code turn} publishes them (and {@code stamp}) to the other task, which reads
     * {@code turn} first.
     */
    private static final class Turn {
        final long warm;
        final long timed;
        volatile int turn = -1; // 0 or 1 once started
        volatile long stamp;    // nanoTime just before the unpark; written before turn
        volatile boolean done;  // written before turn
        long wakes;
        long start;
        long end;

        Turn(long warm, long timed) {
            this.warm = warm;
            this.timed = timed;
        }

        /** Called by the starter before it unparks task 0. */
        void start() {
            stamp = System.nanoTime();
            turn = 0;
        }

        /**
         * Our turn came: account for this wake. Returns true to hand the turn over and continue,
         * false when the run is over (the turn is then handed over with done set).
         */
        private boolean woke(int me, long now, Histogram h) {
            long k = ++wakes;
            if (k > warm) {
                h.recordValue(Math.max(0, now - stamp));
            }
            if (k == warm) {
                start = now;
            } else if (k == warm + timed) {
                end = now;
                done = true;
                turn = 1 - me;
                return false;
            }
            stamp = System.nanoTime();
            turn = 1 - me;
            return true;
        }

        void goloom(int me, G[] gs, Histogram h) {
            for (;;) {
                while (turn != me) {
                    Go.park();
                }
                long now = System.nanoTime();
                if (done) {
                    return;
                }
                boolean more = woke(me, now, h);
                Go.unpark(gs[1 - me]);
                if (!more) {
                    return;
                }
            }
        }

        void threads(int me, Thread[] ts, Histogram h) {
            for (;;) {
                while (turn != me) {
                    LockSupport.park(); // may return spuriously: the loop re-checks the turn
                }
                long now = System.nanoTime();
                if (done) {
                    return;
                }
                boolean more = woke(me, now, h);
                LockSupport.unpark(ts[1 - me]);
                if (!more) {
                    return;
                }
            }
        }
    }
}
