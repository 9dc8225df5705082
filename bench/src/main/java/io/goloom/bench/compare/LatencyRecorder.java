package io.goloom.bench.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Where a workload records latencies, in nanoseconds. Two ways in, chosen by who records:
 * <ul>
 *   <li>{@link #newWriter()}: a plain histogram for one task that records many values. Only
 *       that task writes it (no synchronization on the hot path); it may move between carrier
 *       threads as long as its writes happen-before {@link #merged()} (a join or latch).
 *   <li>{@link #record(long)}: any thread, for many tasks recording a value or two each
 *       (a {@link ConcurrentHistogram}).
 * </ul>
 * Histograms auto-resize and keep 3 significant digits.
 *
 * <p>A workload also records here the extra figures of its run that are not latencies (the
 * names its {@link Workload#extras()} lists, e.g. the server's carrier threads): {@link #extra}.
 */
public final class LatencyRecorder {
    private static final int DIGITS = 3;

    private final ConcurrentHistogram shared = new ConcurrentHistogram(DIGITS);
    private final List<Histogram> writers = new ArrayList<>(); // guarded by this
    private final Map<String, Double> extras = new LinkedHashMap<>(); // guarded by this

    /** A histogram for the calling task alone; merged into {@link #merged()}. */
    public synchronized Histogram newWriter() {
        Histogram h = new Histogram(DIGITS);
        writers.add(h);
        return h;
    }

    /** Records one latency from any thread. Negative values (clock noise) count as 0. */
    public void record(long nanos) {
        shared.recordValue(Math.max(0, nanos));
    }

    /** Everything recorded so far, in one histogram. Call after the recording tasks are joined. */
    public synchronized Histogram merged() {
        Histogram m = new Histogram(DIGITS);
        m.add(shared);
        for (Histogram h : writers) {
            m.add(h);
        }
        return m;
    }

    /** Records the run's figure {@code name} (one of {@link Workload#extras()}); a second call replaces it. */
    public synchronized void extra(String name, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " = " + value + ": an extra figure must be finite");
        }
        extras.put(name, value);
    }

    /** The extra figures recorded so far, in recording order. */
    public synchronized Map<String, Double> extras() {
        return new LinkedHashMap<>(extras);
    }
}
