package io.goloom.core;

/**
 * A carrier thread that runs goroutines: the scheduler's M extends it. Core only needs to
 * know which goroutine the current carrier is running ({@link G#current()}): the current G is
 * {@link Carrier#current()} (one non-inlined call) and one field read away, with no
 * ThreadLocal. Never use {@code Thread.currentThread()} for this inside goroutine code: see
 * {@link Carrier} for why a compiled frame can see a stale carrier after a migration.
 */
public abstract class Machine extends Thread {

    /** The goroutine this M is running, or null. Written only by this thread. */
    protected G curg;

    protected Machine(ThreadGroup group, String name) {
        super(group, null, name, 0, false);
    }

    protected Machine(String name) {
        this(null, name);
    }

    /** The goroutine this M is running, or null when it is in the scheduler. */
    public final G curg() {
        return curg;
    }

    /**
     * Runs {@code g} until it yields, parks or finishes; returns what happened (one of
     * {@link G#EXEC_DEAD}, {@link G#EXEC_PARKED}, {@link G#EXEC_YIELD}, {@link G#EXEC_GOSCHED},
     * {@link G#EXEC_PREEMPT}). Called only by this thread. A park whose commit aborts resumes
     * {@code g} at once, inside this call, as Go's {@code park_m} does.
     */
    public final int runG(G g) {
        curg = g;
        try {
            return g.execute(this);
        } finally {
            curg = null;
        }
    }
}
