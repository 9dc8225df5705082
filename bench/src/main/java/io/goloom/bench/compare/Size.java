package io.goloom.bench.compare;

/**
 * How big a run is. FULL is the published measurement, QUICK is {@code --quick} (a smoke run
 * that still says something), TEST is the test suite's size: large enough to go through every
 * code path, too small to mean anything. TEST is reachable only through the internal
 * {@code --test-size} flag.
 */
public enum Size {
    FULL, QUICK, TEST;

    /** The count for this size. */
    public int pick(int full, int quick, int test) {
        return switch (this) {
            case FULL -> full;
            case QUICK -> quick;
            case TEST -> test;
        };
    }
}
