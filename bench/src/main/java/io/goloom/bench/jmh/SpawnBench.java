package io.goloom.bench.jmh;

import io.goloom.core.G;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
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
 * Spawn + join of 100,000 tasks: goloom goroutines started from a main goroutine (Go's
 * newproc puts each into the spawner's runnext; idle Ps steal) against stock virtual threads
 * started from a virtual thread. Both use every core. Joining: the last task to finish wakes
 * the spawner (a counter and a park/unpark), so join cost is the same shape on both sides.
 * Score: ns per task.
 *
 * <p>Run: {@code ./goloom bench SpawnBench}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class SpawnBench {

    static final int TASKS = 100_000;

    GoRuntime rt;

    @Setup(Level.Trial)
    public void setup() {
        rt = GoRuntime.create(Runtime.getRuntime().availableProcessors());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rt.close();
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void goloomSpawnJoin() throws InterruptedException {
        rt.run(() -> {
            G main = Go.current();
            AtomicInteger left = new AtomicInteger(TASKS);
            Runnable task = () -> {
                if (left.decrementAndGet() == 0) {
                    Go.unpark(main);
                }
            };
            for (int i = 0; i < TASKS; i++) {
                Go.go(task);
            }
            Go.park();
        });
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void vthreadSpawnJoin() throws InterruptedException {
        Thread spawner = Thread.ofVirtual().start(() -> {
            Thread main = Thread.currentThread();
            AtomicInteger left = new AtomicInteger(TASKS);
            Runnable task = () -> {
                if (left.decrementAndGet() == 0) {
                    LockSupport.unpark(main);
                }
            };
            for (int i = 0; i < TASKS; i++) {
                Thread.ofVirtual().start(task);
            }
            while (left.get() != 0) {
                LockSupport.park();
            }
        });
        spawner.join();
    }
}
