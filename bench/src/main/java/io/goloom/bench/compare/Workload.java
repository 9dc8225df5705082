package io.goloom.bench.compare;

import java.util.List;

/**
 * One scenario of {@code compare}, run the same way on every system it supports. A workload is
 * one class implementing this interface (its {@link Spec} and {@link #run}) plus one line in
 * {@link Workloads#ALL}.
 *
 * <p>{@link #run} executes in a fresh child JVM ({@link RunOne}), once per run, with nothing
 * else in that JVM: it may start runtimes and threads, and must stop them before it returns.
 * It warms up by itself (an untimed first slice) and times only what its metric describes.
 */
public interface Workload {

    /**
     * What a workload is, as report.md, summary.json and the controller see it: one record per
     * workload, returned by {@link #spec()}, instead of one method per field.
     *
     * @param name           the fixed name used by {@code --only}, in summary.json and in file names
     * @param metric         the unit of the number {@link #run} returns
     * @param recordsLatency whether {@link #run} records latencies into its {@link LatencyRecorder}
     * @param systems        the systems this workload runs on, in the order the runs alternate
     * @param fixedProcs     GOMAXPROCS / virtual-thread parallelism, or {@link #CORES} for the machine's cores
     * @param description    what is measured, for report.md: the operation, the counts, the warm-up,
     *                       the systems left out and why
     * @param extras         the names of the extra figures a run records besides its value
     *                       ({@link LatencyRecorder#extra}); summary.json carries each one's median as a
     *                       field of the row, report.md a table
     * @param extrasLegend   one sentence for report.md saying what the extras are; "" without extras
     */
    record Spec(String name, Metric metric, boolean recordsLatency, List<SystemKind> systems, int fixedProcs,
                String description, List<String> extras, String extrasLegend) {
        /** {@link #fixedProcs} meaning "as many as the machine has cores". */
        public static final int CORES = 0;

        public Spec {
            java.util.Objects.requireNonNull(name);
            java.util.Objects.requireNonNull(metric);
            java.util.Objects.requireNonNull(description);
            java.util.Objects.requireNonNull(extrasLegend);
            systems = List.copyOf(systems);
            extras = List.copyOf(extras);
            if (systems.isEmpty() || fixedProcs < 0) {
                throw new IllegalArgumentException(name + ": needs a system and fixedProcs >= 0 (CORES)");
            }
        }

        /** A workload without extra figures. */
        public Spec(String name, Metric metric, boolean recordsLatency, List<SystemKind> systems, int fixedProcs,
                    String description) {
            this(name, metric, recordsLatency, systems, fixedProcs, description, List.of(), "");
        }
    }

    /** This workload's metadata. */
    Spec spec();

    /** {@link Spec#name()}. */
    default String name() {
        return spec().name();
    }

    /** {@link Spec#metric()}. */
    default Metric metric() {
        return spec().metric();
    }

    /** {@link Spec#recordsLatency()}. */
    default boolean recordsLatency() {
        return spec().recordsLatency();
    }

    /** {@link Spec#systems()}. */
    default List<SystemKind> systems() {
        return spec().systems();
    }

    /** GOMAXPROCS / virtual-thread parallelism for this workload on a machine with {@code cores}. */
    default int procs(int cores) {
        int p = spec().fixedProcs();
        return p == Spec.CORES ? cores : p;
    }

    /** {@link Spec#description()}. */
    default String description() {
        return spec().description();
    }

    /** {@link Spec#extras()}. */
    default List<String> extras() {
        return spec().extras();
    }

    /**
     * Why this workload cannot run yet (a goloom feature that has not landed), or null when it
     * can. A skipped workload is listed with this reason, never dropped.
     */
    default String skipReason() {
        return null;
    }

    /** Extra JVM arguments for this workload's child JVM on {@code system} (e.g. a -javaagent). */
    default List<String> jvmArgs(SystemKind system) {
        return List.of();
    }

    /**
     * Runs the workload once on {@code system} and returns the value in {@link #metric()}.
     *
     * @param procs    GOMAXPROCS for goloom; the JVM's virtual-thread parallelism already equals it
     * @param size     how many operations (see {@link Size})
     * @param recorder where latency workloads record, in nanoseconds
     */
    double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception;
}
