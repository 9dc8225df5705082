package io.goloom.bench.jmh;

import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import io.goloom.timers.TimerWheel;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.server.util.timer.SystemTimer;
import org.apache.kafka.server.util.timer.TimerTask;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Timer churn: create a timer 10 s out and cancel it, the life of most timeouts. Score: ns per
 * create+cancel, one thread. goloom's per-P queue two ways: as its owner (a goroutine arming
 * on its own P: straight into the wheel) and from another thread (the lock-free inbox, drained
 * by the owner every 1,024 operations as a P's M does in findRunnable). Baselines: Netty's
 * HashedWheelTimer, Kafka's SystemTimer (a hierarchical wheel behind a DelayQueue), and the
 * JDK's ScheduledThreadPoolExecutor (a heap under a lock).
 *
 * <p>Run: {@code ./goloom bench TimerChurnBench}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class TimerChurnBench {

    static final long DELAY_MS = 10_000;
    static final Runnable NOOP = () -> { };

    TimerQueue queue;
    int ops;
    HashedWheelTimer netty;
    SystemTimer kafka;
    ScheduledThreadPoolExecutor stpe;

    @Setup(Level.Trial)
    public void setup() {
        queue = new TimerQueue(new TimerWheel(System.nanoTime()));
        netty = new HashedWheelTimer(1, TimeUnit.MILLISECONDS);
        netty.start();
        kafka = new SystemTimer("bench");
        stpe = new ScheduledThreadPoolExecutor(1);
        stpe.setRemoveOnCancelPolicy(true); // otherwise cancelled tasks pile up for 10 s
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        netty.stop();
        kafka.close();
        stpe.shutdownNow();
    }

    @Benchmark
    public boolean goloomOwner() {
        TimerNode t = TimerNode.of(NOOP);
        long now = System.nanoTime();
        queue.scheduleLocal(t, now + TimeUnit.MILLISECONDS.toNanos(DELAY_MS));
        boolean c = queue.cancelLocal(t);
        if ((++ops & 1023) == 0) {
            queue.runExpired(now);
        }
        return c;
    }

    @Benchmark
    public boolean goloomAnyThread() {
        TimerNode t = TimerNode.of(NOOP);
        long now = System.nanoTime();
        queue.schedule(t, now + TimeUnit.MILLISECONDS.toNanos(DELAY_MS));
        boolean c = queue.cancel(t);
        if ((++ops & 1023) == 0) {
            queue.runExpired(now); // the owner's drain
        }
        return c;
    }

    /**
     * The floor every implementation here pays per operation: allocate a timer object (64 bytes,
     * as each of them does) and read the monotonic clock (each computes its deadline from
     * System.nanoTime()). What is left above this line is the timer structure's own cost.
     */
    @Benchmark
    public long floorAllocateAndReadClock(Blackhole bh) {
        bh.consume(TimerNode.of(NOOP)); // escapes, so the allocation is not optimised away
        return System.nanoTime();
    }

    @Benchmark
    public boolean nettyHashedWheelTimer() {
        Timeout t = netty.newTimeout(x -> { }, DELAY_MS, TimeUnit.MILLISECONDS);
        return t.cancel();
    }

    @Benchmark
    public boolean kafkaSystemTimer() {
        TimerTask t = new TimerTask(DELAY_MS) {
            @Override
            public void run() {
            }
        };
        kafka.add(t);
        t.cancel();
        return t.isCancelled();
    }

    @Benchmark
    public boolean scheduledThreadPoolExecutor() {
        ScheduledFuture<?> f = stpe.schedule(NOOP, DELAY_MS, TimeUnit.MILLISECONDS);
        return f.cancel(false);
    }
}
