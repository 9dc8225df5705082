package io.goloom.bench.compare;

import java.util.ArrayList;
import java.util.List;
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
 */
public final class LatencyRecorder {
    private static final int DIGITS = 3;

    private final ConcurrentHistogram shared = new ConcurrentHistogram(DIGITS);
    private final List<Histogram> writers = new ArrayList<>(); // guarded by this

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
}
