package io.goloom.core;

/**
 * Performs an action exactly once (Go's {@code sync.Once}). Every {@link #run} call returns
 * only after the one action has returned; concurrent callers park on a {@link Mutex} meanwhile.
 * If the action throws, it still counts as done (as in Go, where a panicking f is done), and
 * the exception propagates to the caller that ran it.
 */
public final class Once {

    /** Set (volatile store) after the action returned; read without the lock by the fast path. */
    private volatile boolean done;
    private final Mutex m = new Mutex();

    /**
     * Runs {@code action} if no call on this Once has run one yet; otherwise waits for that
     * run to finish. Calling {@code run} on the same Once from inside the action deadlocks.
     */
    public void run(Runnable action) {
        if (!done) { // volatile load; pairs with the store below: the action's effects are visible
            runSlow(action);
        }
    }

    private void runSlow(Runnable action) {
        m.lock();
        try {
            if (!done) {
                try {
                    action.run();
                } finally {
                    done = true;
                }
            }
        } finally {
            m.unlock();
        }
    }

    /** Whether the action has run. */
    public boolean isDone() {
        return done;
    }
}
