package io.goloom.scheduler;

/**
 * A tiny log-linear histogram of nanosecond latencies: 4 sub-buckets per power of two, so any
 * recorded value is placed within 25%. One writer (the P's owner); readers sum racy snapshots,
 * which is fine for metrics. Allocation-free on record.
 */
final class LatencyHistogram {
    private static final int SUB = 4;
    final long[] counts = new long[64 * SUB];

    void record(long nanos) {
        if (nanos < 0) {
            nanos = 0;
        }
        counts[index(nanos)]++;
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int log = 63 - Long.numberOfLeadingZeros(v);      // v in [2^log, 2^(log+1))
        int sub = (int) (v >>> (log - 2)) & (SUB - 1);      // next two bits below the top one
        return log * SUB + sub;
    }

    /** Lowest value that lands in bucket {@code i}. */
    static long lowerBound(int i) {
        int log = i / SUB;
        int sub = i % SUB;
        if (log < 2) {
            return i;
        }
        return (1L << log) + ((long) sub << (log - 2));
    }
}
