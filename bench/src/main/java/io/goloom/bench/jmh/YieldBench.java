package io.goloom.bench.jmh;

import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The switch path: two tasks alternating, on one processor. goloom's {@code Go.yield()} with
 * GOMAXPROCS=1 against stock virtual threads' {@code Thread.yield()} with parallelism 1, and
 * the floor under both: one raw {@link Continuation} run()+yield() pair on one thread, which
 * every goloom switch pays once. Score: ns per switch (per yield).
 *
 * <p>Run: {@code ./goloom bench YieldBench}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.virtualThreadScheduler.parallelism=1",
        "-Djdk.virtualThreadScheduler.maxPoolSize=1"})
@State(Scope.Benchmark)
public class YieldBench {

    static final int SWITCHES = 100_000; // per invocation, both tasks together

    GoRuntime rt;
    static final ContinuationScope SCOPE = new ContinuationScope("bench");
    Continuation floor;

    @Setup(Level.Trial)
    public void setup() {
        rt = GoRuntime.create(1);
        floor = new Continuation(SCOPE, () -> {
            for (;;) {
                Continuation.yield(SCOPE);
            }
        });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rt.close();
    }

    @Benchmark
    @OperationsPerInvocation(SWITCHES)
    public void goloomYield() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(2);
        for (int k = 0; k < 2; k++) {
            rt.go(() -> {
                for (int i = 0; i < SWITCHES / 2; i++) {
                    Go.yield();
                }
                done.countDown();
            });
        }
        done.await();
    }

    @Benchmark
    @OperationsPerInvocation(SWITCHES)
    public void vthreadYield() throws InterruptedException {
        Thread a = Thread.ofVirtual().start(YieldBench::vtLoop);
        Thread b = Thread.ofVirtual().start(YieldBench::vtLoop);
        a.join();
        b.join();
    }

    private static void vtLoop() {
        for (int i = 0; i < SWITCHES / 2; i++) {
            Thread.yield();
        }
    }

    /** One run()+yield() pair of a raw continuation on the benchmark thread: the floor. */
    @Benchmark
    public void rawContinuationFloor() {
        floor.run();
    }
}
