package io.goloom.bench.compare;

import io.goloom.core.G;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/** {@code memory}: heap bytes per parked task. */
final class MemoryWorkload implements Workload {

    /** Two heap readings after System.gc() within this many bytes count as stable. */
    private static final long STABLE_BYTES = 64 * 1024;
    /** At most this many System.gc() calls per reading. */
    private static final int MAX_GCS = 10;
    /** How often the measuring thread checks whether every task has parked. */
    private static final long POLL_MILLIS = 5;
    /**
     * Untimed full-size rounds before the measured one. The size of a parked task's stack chunk
     * depends on whether its frames were compiled when it first parked (interpreted frames are
     * larger): with one round of N/10 a run measured 670 to 1,080 bytes per virtual thread,
     * depending on how far C2 had got; after warm rounds it measures the steady state.
     */
    private static final int WARM_ROUNDS = 2;

    private static final Spec SPEC = new Spec("memory", Metric.BYTES, false,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.GOLOOM_VT), Spec.CORES,
            "Heap bytes per parked task. N = 100,000 tasks (quick: 20,000) each park "
            + "(`Go.park()` / `LockSupport.park()` in a virtual thread) until released. Heap used "
            + "(MemoryMXBean, after `System.gc()` repeated until two readings agree within 64 KiB, "
            + "at most 10 times) is read before starting them and again once every one of them is "
            + "parked (G status WAITING / Thread.State WAITING); bytes = difference / N. It includes "
            + "everything a parked task keeps alive: the task object, its stack chunk, and the "
            + "runtime's registry entry for it. The array of task handles is allocated before the "
            + "first reading. Two untimed rounds of N tasks warm up first (a task parked from "
            + "interpreted frames keeps a stack chunk two to three times the size of one parked from "
            + "compiled frames, so a colder JIT read as more bytes); every child JVM has the "
            + "same heap flags (-Xms1g -Xmx4g). Platform threads: not run (their stacks are native "
            + "memory, which a heap reading does not see).");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        int n = size.pick(100_000, 20_000, 500);
        return switch (system) {
            case GOLOOM -> {
                try (GoRuntime rt = GoRuntime.create(procs)) {
                    for (int i = 0; i < WARM_ROUNDS; i++) {
                        goloom(rt, n);
                    }
                    yield goloom(rt, n);
                }
            }
            case VTHREADS, GOLOOM_VT -> Tasks.withVirtualThreads(system, procs, vts -> {
                for (int i = 0; i < WARM_ROUNDS; i++) {
                    virtual(vts, n);
                }
                return virtual(vts, n);
            });
            default -> throw new IllegalArgumentException("memory does not run on " + system);
        };
    }

    /** Released by the measuring thread; read by the parked tasks. */
    private static final class Gate {
        volatile boolean open;
        final CountDownLatch exited;

        Gate(int n) {
            exited = new CountDownLatch(n);
        }
    }

    private static double goloom(GoRuntime rt, int n) throws InterruptedException {
        G[] gs = new G[n];
        Gate gate = new Gate(n);
        Runnable task = () -> { // one Runnable for all tasks: its size is not per task
            while (!gate.open) {
                Go.park();
            }
            gate.exited.countDown();
        };
        long before = heapUsedAfterGc();
        for (int i = 0; i < n; i++) {
            gs[i] = rt.go(task);
        }
        for (G g : gs) {
            while (g.status() != G.WAITING) {
                Thread.sleep(POLL_MILLIS);
            }
        }
        long after = heapUsedAfterGc();
        gate.open = true;
        for (G g : gs) {
            Go.unpark(g);
        }
        gate.exited.await();
        return (double) (after - before) / n;
    }

    private static double virtual(Tasks.VtStarter vts, int n) throws InterruptedException {
        Thread[] ts = new Thread[n];
        Gate gate = new Gate(n);
        Runnable task = () -> {
            while (!gate.open) {
                LockSupport.park();
            }
            gate.exited.countDown();
        };
        long before = heapUsedAfterGc();
        for (int i = 0; i < n; i++) {
            ts[i] = vts.start(task);
        }
        for (Thread t : ts) {
            while (t.getState() != Thread.State.WAITING) {
                Thread.sleep(POLL_MILLIS);
            }
        }
        long after = heapUsedAfterGc();
        gate.open = true;
        for (Thread t : ts) {
            LockSupport.unpark(t);
        }
        gate.exited.await();
        return (double) (after - before) / n;
    }

    /** Heap in use after System.gc(), repeated until stable. */
    static long heapUsedAfterGc() {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.gc();
        long used = mem.getHeapMemoryUsage().getUsed();
        for (int i = 1; i < MAX_GCS; i++) {
            System.gc();
            long next = mem.getHeapMemoryUsage().getUsed();
            boolean stable = Math.abs(next - used) <= STABLE_BYTES;
            used = next;
            if (stable) {
                break;
            }
        }
        return used;
    }
}
