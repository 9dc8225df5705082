package com.example.fairness;

/**
 * A CPU-bound loop that never calls goloom (or anything that blocks or yields): the kind of
 * code cooperative preemption cannot reach unless the agent instruments it. The fairness
 * workload runs the goloom JVM with {@code -javaagent:goloom-agent.jar=goroutines=com.example.fairness.},
 * so this package, and only it, gets yield points at its loop back-edges.
 */
public final class Hog {
    private Hog() {
    }

    /** Spins until {@code endNanos}; returns how many work units it did (mixing so the JIT keeps the loop). */
    public static long spinUntil(long endNanos) {
        long units = 0;
        long x = 0x9E3779B97F4A7C15L;
        while (System.nanoTime() < endNanos) {
            for (int i = 0; i < 1_000; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
            }
            units++;
        }
        return units + (x == 42 ? 1 : 0);
    }
}
