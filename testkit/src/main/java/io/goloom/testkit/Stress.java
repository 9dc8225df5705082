package io.goloom.testkit;

/**
 * The one reader of the stress knob: {@code -Dgoloom.stress=N} multiplies the rounds of every
 * stress test of every module (1, the default, keeps them CI-sized; ChildJvm passes it on).
 */
public final class Stress {
    /** The factor, at least 1 as given. */
    public static final int FACTOR = Integer.getInteger("goloom.stress", 1);

    private Stress() {
    }
}
