package io.goloom.bench.jmh;

import io.goloom.core.Mutex;
import io.goloom.core.WaitGroup;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
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
 * goloom's {@link Mutex} (parks the goroutine) against {@link ReentrantLock} on virtual
 * threads (parks the virtual thread). Score: ns per lock+unlock pair, averaged over an
 * invocation that ends when every task has finished.
 *
 * <ul>
 *   <li>{@code uncontended*}: one task, {@value #OPS} lock/unlock pairs: the fast path (one CAS
 *       each way on both sides).</li>
 *   <li>{@code contended*}: {@value #TASKS} tasks share one lock, {@value #OPS} pairs in all,
 *       each critical section a counter increment: normal-mode barging, spinning (when the
 *       scheduler allows it), parking and hand-off.</li>
 * </ul>
 *
 * <p>Parallelism is pinned per fork, as in {@link ChanBench}: {@link Procs1} and
 * {@link Procs2} carry {@code -Djdk.virtualThreadScheduler.parallelism=N} and create goloom's
 * runtime with N Ps. Run: {@code ./goloom bench MutexBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public abstract class MutexBench {

    static final int OPS = 200_000;
    static final int TASKS = 8;

    abstract int procs();

    @Fork(value = 2, jvmArgsAppend = {
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-Djdk.virtualThreadScheduler.parallelism=1",
            "-Djdk.virtualThreadScheduler.maxPoolSize=1"})
    public static class Procs1 extends MutexBench {
        @Override
        int procs() {
            return 1;
        }
    }

    @Fork(value = 2, jvmArgsAppend = {
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-Djdk.virtualThreadScheduler.parallelism=2",
            "-Djdk.virtualThreadScheduler.maxPoolSize=2"})
    public static class Procs2 extends MutexBench {
        @Override
        int procs() {
            return 2;
        }
    }

    GoRuntime rt;
    /** Guarded by whichever lock the benchmark uses; read at the end as a sanity check. */
    long counter;

    @Setup(Level.Trial)
    public void setup() {
        rt = GoRuntime.create(procs());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rt.close();
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long uncontendedGoloom() throws InterruptedException {
        Mutex m = new Mutex();
        counter = 0;
        rt.run(() -> {
            for (int i = 0; i < OPS; i++) {
                m.lock();
                counter++;
                m.unlock();
            }
        });
        return counter;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long uncontendedVirtualThreads() throws InterruptedException {
        ReentrantLock l = new ReentrantLock();
        counter = 0;
        Thread t = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < OPS; i++) {
                l.lock();
                counter++;
                l.unlock();
            }
        });
        t.join();
        return counter;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long contendedGoloom() throws InterruptedException {
        Mutex m = new Mutex();
        counter = 0;
        rt.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(TASKS);
            for (int k = 0; k < TASKS; k++) {
                Go.go(() -> {
                    for (int i = 0; i < OPS / TASKS; i++) {
                        m.lock();
                        counter++;
                        m.unlock();
                    }
                    wg.done();
                });
            }
            wg.await();
        });
        return check(counter);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long contendedVirtualThreads() throws InterruptedException {
        ReentrantLock l = new ReentrantLock();
        counter = 0;
        CountDownLatch done = new CountDownLatch(TASKS);
        for (int k = 0; k < TASKS; k++) {
            Thread.ofVirtual().start(() -> {
                for (int i = 0; i < OPS / TASKS; i++) {
                    l.lock();
                    counter++;
                    l.unlock();
                }
                done.countDown();
            });
        }
        done.await();
        return check(counter);
    }

    private static long check(long counter) {
        if (counter != (long) OPS / TASKS * TASKS) {
            throw new IllegalStateException("lost updates: " + counter);
        }
        return counter;
    }
}
