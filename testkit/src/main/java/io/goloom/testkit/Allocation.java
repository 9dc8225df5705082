package io.goloom.testkit;

import java.lang.management.ManagementFactory;

/** What the JVM's threads have allocated: for tests that a path allocates nothing per operation. */
public final class Allocation {
    private Allocation() {
    }

    /**
     * Bytes allocated so far by all live threads (HotSpot's per-thread counters): read before and
     * after a loop of operations, divide by their count.
     */
    public static long bytesSoFar() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
            if (b > 0) {
                sum += b;
            }
        }
        return sum;
    }
}
