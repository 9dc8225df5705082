package io.goloom.scheduler;

/**
 * Sampled scheduling latency (time from ready to running) of a runtime's goroutines: one in
 * eight readies is timed, as Go's runtime/metrics {@code /sched/latencies} does.
 */
public final class SchedLatency {
    private final long[] counts;

    SchedLatency(long[] counts) {
        this.counts = counts;
    }

    public long count() {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }

    /** The latency (nanos, lower bucket bound, within 25%) at or below which {@code q} of the samples lie. */
    public long quantileNanos(double q) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long want = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= want && counts[i] > 0) {
                return LatencyHistogram.lowerBound(i);
            }
        }
        return LatencyHistogram.lowerBound(counts.length - 1);
    }

    /** The number of buckets ({@link #bucketCount(int)}). */
    public int buckets() {
        return counts.length;
    }

    /** Samples in bucket {@code i}. */
    public long bucketCount(int i) {
        return counts[i];
    }

    /** The lowest latency (nanos) that lands in bucket {@code i}; bucket i+1 starts where it ends. */
    public static long bucketLowerBoundNanos(int i) {
        return LatencyHistogram.lowerBound(i);
    }

    @Override
    public String toString() {
        return "SchedLatency[n=" + count() + " p50=" + quantileNanos(0.5) + "ns p99=" + quantileNanos(0.99) + "ns]";
    }
}
