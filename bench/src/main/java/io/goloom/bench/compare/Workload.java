package io.goloom.bench.compare;

import java.util.List;

/**
 * One scenario of {@code compare}, run the same way on every system it supports. A workload is
 * one class implementing this interface plus one line in {@link Workloads#ALL}.
 *
 * <p>{@link #run} executes in a fresh child JVM ({@link RunOne}), once per run, with nothing
 * else in that JVM: it may start runtimes and threads, and must stop them before it returns.
 * It warms up by itself (an untimed first slice) and times only what its metric describes.
 */
public interface Workload {

    /** The fixed name used by {@code --only}, in summary.json and in file names. */
    String name();

    /** The unit of the number {@link #run} returns. */
    Metric metric();

    /** Whether {@link #run} records latencies into its {@link LatencyRecorder}. */
    boolean recordsLatency();

    /** The systems this workload runs on, in the order the runs alternate. */
    List<SystemKind> systems();

    /** GOMAXPROCS / virtual-thread parallelism for this workload on a machine with {@code cores}. */
    default int procs(int cores) {
        return cores;
    }

    /**
     * Why this workload cannot run yet (a goloom feature that has not landed), or null when it
     * can. A skipped workload is listed with this reason, never dropped.
     */
    default String skipReason() {
        return null;
    }

    /**
     * The names of the extra figures a run records besides its value ({@link LatencyRecorder#extra});
     * summary.json carries each one's median as a field of the row, report.md a table.
     */
    default List<String> extras() {
        return List.of();
    }

    /** One sentence for report.md saying what the {@link #extras()} figures are; unused without extras. */
    default String extrasLegend() {
        return "";
    }

    /** Extra JVM arguments for this workload's child JVM on {@code system} (e.g. a -javaagent). */
    default List<String> jvmArgs(SystemKind system) {
        return List.of();
    }

    /** What is measured, for report.md: the operation, the counts, the warm-up, the systems left out and why. */
    String description();

    /**
     * Runs the workload once on {@code system} and returns the value in {@link #metric()}.
     *
     * @param procs    GOMAXPROCS for goloom; the JVM's virtual-thread parallelism already equals it
     * @param size     how many operations (see {@link Size})
     * @param recorder where latency workloads record, in nanoseconds
     */
    double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception;
}
