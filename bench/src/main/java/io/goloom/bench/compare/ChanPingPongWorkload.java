package io.goloom.bench.compare;

import java.util.List;
import java.util.concurrent.SynchronousQueue;
import org.HdrHistogram.Histogram;

/**
 * {@code chan-pingpong}: two tasks on one processor bounce a message over two unbuffered
 * channels; ns per round trip and the round-trip latency histogram. Virtual threads use
 * {@link SynchronousQueue}s.
 * goloom's side is {@link ChanPingPongGoloom}.
 */
final class ChanPingPongWorkload implements Workload {

    private static final Spec SPEC = new Spec("chan-pingpong", Metric.NS_PER_OP, true,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.GOLOOM_VT), 1,
            "Two tasks on one processor (GOMAXPROCS 1 / parallelism 1): ping sends a message on "
            + "channel A and receives the reply on channel B; pong receives on A and sends on B. "
            + "Channels are unbuffered: `new Chan<>(0)` on goloom, `SynchronousQueue` on virtual "
            + "threads. 100,000 round trips of warm-up (quick: 20,000), then 1,000,000 timed "
            + "(quick: 200,000); ping records each timed round trip (nanoTime before the send to "
            + "after the receive). ns/op = timed wall time / timed round trips. Platform threads: "
            + "not run (they cannot be held to one processor from inside the JVM).");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        long warm = size.pick(100_000, 20_000, 500);
        long timed = size.pick(1_000_000, 200_000, 2_000);
        Histogram h = recorder.newWriter();
        long nanos = switch (system) {
            case GOLOOM -> ChanPingPongGoloom.run(procs, warm, timed, h);
            case VTHREADS, GOLOOM_VT -> Tasks.withVirtualThreads(system, procs, vts -> virtual(vts, warm, timed, h));
            default -> throw new IllegalArgumentException("chan-pingpong does not run on " + system);
        };
        return (double) nanos / timed;
    }

    private static final Object BALL = new Object();

    private static long virtual(Tasks.VtStarter vts, long warm, long timed, Histogram h) throws Exception {
        SynchronousQueue<Object> a = new SynchronousQueue<>();
        SynchronousQueue<Object> b = new SynchronousQueue<>();
        long total = warm + timed;
        Throwable[] failure = new Throwable[2];
        Thread pong = vts.start(() -> {
            try {
                for (long i = 0; i < total; i++) {
                    b.put(a.take());
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        long[] elapsed = new long[1];
        Thread ping = vts.start(() -> {
            try {
                for (long i = 0; i < warm; i++) {
                    a.put(BALL);
                    b.take();
                }
                long t0 = System.nanoTime();
                for (long i = 0; i < timed; i++) {
                    long s = System.nanoTime();
                    a.put(BALL);
                    b.take();
                    h.recordValue(System.nanoTime() - s);
                }
                elapsed[0] = System.nanoTime() - t0;
            } catch (Throwable e) {
                failure[1] = e;
            }
        });
        ping.join(); // publishes elapsed[0] and failure[]
        pong.join();
        for (Throwable t : failure) {
            if (t != null) {
                throw new IllegalStateException("chan-pingpong thread failed", t);
            }
        }
        return elapsed[0];
    }
}
