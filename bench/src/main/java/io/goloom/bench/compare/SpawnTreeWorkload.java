package io.goloom.bench.compare;

import io.goloom.core.Chan;
import io.goloom.scheduler.Go;
import java.util.List;
import java.util.concurrent.SynchronousQueue;

/**
 * {@code spawn-tree}: a tree of tasks, each inner node starting 10 children and summing the
 * values they send it over an unbuffered channel of its own; ms per tree. goloom: goroutines
 * ({@code Go.go}) and {@code new Chan<>(0)}; virtual threads: {@code Thread.ofVirtual().start}
 * and a {@link SynchronousQueue} per node (goloom-vt: the same code on goloom's carriers); Go:
 * goroutines and {@code make(chan int64)} (bench/go/spawn-tree).
 */
final class SpawnTreeWorkload implements Workload {

    static final int FANOUT = 10;

    private static final Spec SPEC = new Spec("spawn-tree", Metric.MS, false,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS, SystemKind.GOLOOM_VT), Spec.CORES,
            "A tree of tasks (GOMAXPROCS / parallelism = cores): every inner node starts 10 children and "
            + "receives one value from each over an unbuffered channel of its own (`new Chan<>(0)` on "
            + "goloom, a `SynchronousQueue` on virtual threads, `make(chan int64)` in Go), then sends "
            + "1 + their sum to its parent; a leaf sends 1, so the root receives the number of nodes "
            + "(checked). Depth 6: 1,111,111 tasks per tree (quick: depth 5, 111,111). Nodes are "
            + "goroutines (`Go.go`), virtual threads (`Thread.ofVirtual().start`) or Go goroutines; "
            + "each tree's root is started from the main task. One untimed tree, then 3 timed. "
            + "ms = timed wall time / timed trees. The JVM sides send boxed Longs (values up to "
            + "1,111,111), Go sends int64s. Platform threads: not run (a million OS threads).");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        int depth = size.pick(6, 5, 3);
        int trees = size.pick(3, 3, 1);
        long want = nodes(depth);
        long nanos = switch (system) {
            case GOLOOM -> Tasks.goloomMain(procs, () -> {
                check(goloomTree(depth), want);
                long t0 = System.nanoTime();
                for (int i = 0; i < trees; i++) {
                    check(goloomTree(depth), want);
                }
                return System.nanoTime() - t0;
            });
            // goloom-vt: the same code; the child JVM's agent puts every virtual thread on goloom.
            case VTHREADS, GOLOOM_VT -> Tasks.withVirtualThreads(system, procs, vts -> Tasks.virtualMain(vts, () -> {
                check(virtualTree(depth), want);
                long t0 = System.nanoTime();
                for (int i = 0; i < trees; i++) {
                    check(virtualTree(depth), want);
                }
                return System.nanoTime() - t0;
            }));
            default -> throw new IllegalArgumentException("spawn-tree does not run on " + system + " in a JVM");
        };
        return nanos / 1e6 / trees;
    }

    /** 1 + 10 + ... + 10^depth. */
    static long nodes(int depth) {
        long n = 0;
        for (long w = 1, i = 0; i <= depth; i++, w *= FANOUT) {
            n += w;
        }
        return n;
    }

    private static void check(long got, long want) {
        if (got != want) {
            throw new IllegalStateException("spawn-tree: the root counted " + got + " nodes, want " + want);
        }
    }

    /** From a goroutine: one tree under a new root goroutine; returns what the root sent. */
    private static long goloomTree(int depth) {
        Chan<Long> root = new Chan<>(0);
        Go.go(() -> goloomNode(depth, root));
        return root.receive();
    }

    private static void goloomNode(int depth, Chan<Long> out) {
        if (depth == 0) {
            out.send(1L);
            return;
        }
        Chan<Long> c = new Chan<>(0);
        for (int i = 0; i < FANOUT; i++) {
            Go.go(() -> goloomNode(depth - 1, c));
        }
        long sum = 1;
        for (int i = 0; i < FANOUT; i++) {
            sum += c.receive();
        }
        out.send(sum);
    }

    /** From a virtual thread: one tree under a new root virtual thread; returns what the root sent. */
    private static long virtualTree(int depth) throws InterruptedException {
        SynchronousQueue<Long> root = new SynchronousQueue<>();
        Thread.ofVirtual().start(() -> virtualNode(depth, root));
        return root.take();
    }

    private static void virtualNode(int depth, SynchronousQueue<Long> out) {
        try {
            if (depth == 0) {
                out.put(1L);
                return;
            }
            SynchronousQueue<Long> c = new SynchronousQueue<>();
            for (int i = 0; i < FANOUT; i++) {
                Thread.ofVirtual().start(() -> virtualNode(depth - 1, c));
            }
            long sum = 1;
            for (int i = 0; i < FANOUT; i++) {
                sum += c.take();
            }
            out.put(sum);
        } catch (InterruptedException e) {
            throw new IllegalStateException("spawn-tree: a node was interrupted", e);
        }
    }
}
