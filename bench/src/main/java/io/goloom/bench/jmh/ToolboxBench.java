package io.goloom.bench.jmh;

import io.goloom.core.Chan;
import io.goloom.core.GoLocal;
import io.goloom.core.Select;
import io.goloom.scheduler.Context;
import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
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
 * The Go toolbox's per-call costs against what they replace (issue 17's targets). Score: ns per
 * operation, averaged over a whole invocation.
 *
 * <ul>
 *   <li>{@code goLocalGet} (in a goroutine) vs {@code threadLocalGetOnVirtualThread}: a
 *       {@link GoLocal} read against a {@link ThreadLocal} read on a JDK virtual thread, the value
 *       set once before the loop. Target: GoLocal no slower. {@code goLocalGetEachCalled} vs
 *       {@code threadLocalGetEachCalledOnVirtualThread}: the same with each get in a method the
 *       JIT may not inline, so that neither can be hoisted out of the loop.</li>
 *   <li>{@code select2Ready} vs {@code select2ReadyAndDone}: a select over two ready buffered
 *       channels, without and with a third case on a context's never-closed {@code done()}.
 *       Target: the done() case costs at most what one more channel case costs.</li>
 * </ul>
 * Run: {@code ./goloom bench ToolboxBench}, on a quiet machine.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
@Fork(value = 2, jvmArgsAppend = {
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"})
public class ToolboxBench {

    static final int GETS = 1_000_000;
    static final int SELECTS = 100_000;
    private static final GoLocal<Object> GO_LOCAL = GoLocal.create();
    private static final ThreadLocal<Object> THREAD_LOCAL = new ThreadLocal<>();

    GoRuntime rt;
    volatile int sink;

    @Setup(Level.Trial)
    public void setup() {
        rt = GoRuntime.create(1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rt.close();
    }

    @Benchmark
    @OperationsPerInvocation(GETS)
    public void goLocalGet() throws InterruptedException {
        rt.run(() -> {
            GO_LOCAL.set(new Object());
            int h = 0;
            for (int i = 0; i < GETS; i++) {
                h += GO_LOCAL.get().hashCode();
            }
            sink = h;
        });
    }

    @Benchmark
    @OperationsPerInvocation(GETS)
    public void threadLocalGetOnVirtualThread() throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            THREAD_LOCAL.set(new Object());
            int h = 0;
            for (int i = 0; i < GETS; i++) {
                h += THREAD_LOCAL.get().hashCode();
            }
            sink = h;
        }).join();
    }

    /**
     * The loops above without any get: the same hashCode of one object, on a virtual thread.
     * What the in-loop ThreadLocal pair costs when C2 hoists the get out of the loop.
     */
    @Benchmark
    @OperationsPerInvocation(GETS)
    public void loopWithoutGetOnVirtualThread() throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            Object o = new Object();
            int h = 0;
            for (int i = 0; i < GETS; i++) {
                h += o.hashCode();
            }
            sink = h;
        }).join();
    }

    /**
     * The same pair with each get behind a call the JIT may not inline (as a get sits in real
     * code, between calls): in the loops above, C2 can hoist a ThreadLocal get out of the loop
     * entirely (its thread is an immutable load and nothing in the loop writes memory), while a
     * GoLocal get was not (its carrier lookup is an ordinary load, see Carrier), so those two
     * measure code motion as much as the get.
     */
    @Benchmark
    @OperationsPerInvocation(GETS)
    public void goLocalGetEachCalled() throws InterruptedException {
        rt.run(() -> {
            GO_LOCAL.set(new Object());
            int h = 0;
            for (int i = 0; i < GETS; i++) {
                h += goLocal().hashCode();
            }
            sink = h;
        });
    }

    @Benchmark
    @OperationsPerInvocation(GETS)
    public void threadLocalGetEachCalledOnVirtualThread() throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            THREAD_LOCAL.set(new Object());
            int h = 0;
            for (int i = 0; i < GETS; i++) {
                h += threadLocal().hashCode();
            }
            sink = h;
        }).join();
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    static Object goLocal() {
        return GO_LOCAL.get();
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    static Object threadLocal() {
        return THREAD_LOCAL.get();
    }

    @Benchmark
    @OperationsPerInvocation(SELECTS)
    public void select2Ready() throws InterruptedException {
        rt.run(() -> {
            Chan<Integer> a = new Chan<>(1);
            Chan<Integer> b = new Chan<>(1);
            Select s = new Select().recv(a).recv(b);
            int h = 0;
            for (int i = 0; i < SELECTS; i++) {
                a.trySend(1);
                b.trySend(2);
                h += s.run();
            }
            sink = h;
        });
    }

    @Benchmark
    @OperationsPerInvocation(SELECTS)
    public void select2ReadyAndDone() throws InterruptedException {
        rt.run(() -> {
            Chan<Integer> a = new Chan<>(1);
            Chan<Integer> b = new Chan<>(1);
            Context.Cancelable ctx = Context.withCancel(Context.background());
            Select s = new Select().recv(a).recv(b).recv(ctx.done());
            int h = 0;
            for (int i = 0; i < SELECTS; i++) {
                a.trySend(1);
                b.trySend(2);
                h += s.run();
            }
            sink = h;
            ctx.cancel();
        });
    }

    @Benchmark
    @OperationsPerInvocation(SELECTS)
    public void select3Ready() throws InterruptedException {
        rt.run(() -> {
            Chan<Integer> a = new Chan<>(1);
            Chan<Integer> b = new Chan<>(1);
            Chan<Integer> c = new Chan<>(1);
            Select s = new Select().recv(a).recv(b).recv(c);
            int h = 0;
            for (int i = 0; i < SELECTS; i++) {
                a.trySend(1);
                b.trySend(2);
                h += s.run();
            }
            sink = h;
        });
    }
}
