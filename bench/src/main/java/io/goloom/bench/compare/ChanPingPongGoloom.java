package io.goloom.bench.compare;

import io.goloom.core.Chan;
import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.CountDownLatch;
import org.HdrHistogram.Histogram;

/** goloom's side of {@code chan-pingpong}: the same protocol as the virtual-thread side, on two unbuffered Chans. */
final class ChanPingPongGoloom {

    private static final Object BALL = new Object();

    private ChanPingPongGoloom() {
    }

    /** Runs warm + timed round trips on a fresh runtime with {@code procs} Ps; returns the timed wall time in ns. */
    static long run(int procs, long warm, long timed, Histogram h) throws Exception {
        Chan<Object> a = new Chan<>(0);
        Chan<Object> b = new Chan<>(0);
        long total = warm + timed;
        long[] elapsed = new long[1];
        Throwable[] failure = new Throwable[2];
        try (GoRuntime rt = GoRuntime.create(procs)) {
            CountDownLatch done = new CountDownLatch(2);
            rt.go(() -> {
                try {
                    for (long i = 0; i < total; i++) {
                        b.send(a.receive());
                    }
                } catch (Throwable e) { // also covers Chan's checked exceptions, if it has any
                    failure[0] = e;
                } finally {
                    done.countDown();
                }
            });
            rt.go(() -> {
                try {
                    for (long i = 0; i < warm; i++) {
                        a.send(BALL);
                        b.receive();
                    }
                    long t0 = System.nanoTime();
                    for (long i = 0; i < timed; i++) {
                        long s = System.nanoTime();
                        a.send(BALL);
                        b.receive();
                        h.recordValue(System.nanoTime() - s);
                    }
                    elapsed[0] = System.nanoTime() - t0;
                } catch (Throwable e) {
                    failure[1] = e;
                } finally {
                    done.countDown();
                }
            });
            done.await(); // publishes elapsed[0] and failure[]
        }
        for (Throwable t : failure) {
            if (t != null) {
                throw new IllegalStateException("chan-pingpong goroutine failed", t);
            }
        }
        return elapsed[0];
    }
}
