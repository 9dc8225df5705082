package io.goloom.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A deterministic single-thread scheduler for core's tests: one {@link Machine} runs the Gs
 * in FIFO order, with a runnext slot like a P's (a G readied with {@code next} by a running G
 * runs next; the one it displaces goes to the tail). No stealing, no preemption, no spinning,
 * and an injected clock ({@link #advance}). Readies from other threads (a plain thread waking
 * a G) go through an inbox the machine drains.
 *
 * <p>Usage: create Gs with {@link #go}, then {@link #runUntilIdle()} (or {@link #runUntil})
 * from the test thread; it runs the machine until no G is runnable and rethrows the first
 * exception a G threw.
 */
final class TestSched implements Sched {

    private final ArrayDeque<G> runq = new ArrayDeque<>();
    private G runnext;
    private final LinkedBlockingQueue<G> inbox = new LinkedBlockingQueue<>();
    private final List<G> all = new ArrayList<>();
    private final List<Throwable> panics = new ArrayList<>();
    private long ids = 1;
    /** The fake clock, in nanos. Starts well away from 0. */
    private volatile long nanos = 1_000_000_000L;
    private volatile Thread machine;
    /** Number of G executions so far (for tests that count scheduling rounds). */
    int executions;

    /** Creates a runnable G at the tail of the run queue. From the test thread or a G. */
    G go(String name, Runnable body) {
        G g = new G(ids++, body, this);
        g.name = name;
        g.markRunnable();
        synchronized (this) {
            all.add(g);
        }
        runq.addLast(g);
        return g;
    }

    G go(Runnable body) {
        return go(null, body);
    }

    void advance(long ns) {
        nanos += ns;
    }

    @Override
    public void ready(G g, boolean next) {
        if (Carrier.current() != machine) {
            inbox.add(g);
            return;
        }
        if (next && G.current() != null) {
            if (runnext != null) {
                runq.addLast(runnext);
            }
            runnext = g;
        } else {
            runq.addLast(g);
        }
    }

    @Override
    public void panicked(G g, Throwable t) {
        synchronized (this) {
            panics.add(t);
        }
    }

    @Override
    public long coarseNanos() {
        return nanos;
    }

    @Override
    public long nanoTime() {
        return nanos;
    }

    /** Runs until no G is runnable (all done or parked). */
    void runUntilIdle() {
        runUntil(() -> true, 0);
    }

    /**
     * Runs until no G is runnable and {@code done} holds; while not done, waits up to
     * {@code timeoutMs} for readies from other threads.
     */
    void runUntil(BooleanSupplier done, long timeoutMs) {
        Throwable[] loopFailure = new Throwable[1];
        Machine m = new Machine("test-m") {
            @Override
            public void run() {
                try {
                    loop(done, timeoutMs);
                } catch (Throwable t) {
                    loopFailure[0] = t;
                }
            }
        };
        machine = m;
        m.start();
        try {
            m.join(30_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (m.isAlive()) {
            throw new AssertionError("TestSched machine still running after 30 s");
        }
        machine = null;
        if (loopFailure[0] != null) {
            throw new AssertionError("scheduler loop failed", loopFailure[0]);
        }
        synchronized (this) {
            if (!panics.isEmpty()) {
                Throwable t = panics.get(0);
                panics.clear();
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error e) {
                    throw e;
                }
                throw new AssertionError(t);
            }
        }
    }

    private void loop(BooleanSupplier done, long timeoutMs) throws InterruptedException {
        Machine m = (Machine) Thread.currentThread();
        for (;;) {
            for (G x; (x = inbox.poll()) != null; ) {
                runq.addLast(x);
            }
            G g = runnext;
            if (g != null) {
                runnext = null;
            } else {
                g = runq.pollFirst();
            }
            if (g == null) {
                if (done.getAsBoolean()) {
                    return;
                }
                G x = inbox.poll(timeoutMs, TimeUnit.MILLISECONDS);
                if (x == null) {
                    return; // nothing more will come: the test decides whether that is a failure
                }
                runq.addLast(x);
                continue;
            }
            executions++;
            int how = m.runG(g);
            switch (how) {
                case G.EXEC_DEAD, G.EXEC_PARKED -> { }
                case G.EXEC_YIELD, G.EXEC_GOSCHED -> runq.addLast(g);
                case G.EXEC_PREEMPT -> {
                    g.markRunnable();
                    runq.addLast(g);
                }
                default -> throw new IllegalStateException("unknown yield kind " + how);
            }
        }
    }

    /** Gs that are parked now. */
    synchronized List<G> parked() {
        List<G> out = new ArrayList<>();
        for (G g : all) {
            if (g.status() == G.WAITING) {
                out.add(g);
            }
        }
        return out;
    }

    /** Gs that have not finished. */
    synchronized List<G> alive() {
        List<G> out = new ArrayList<>();
        for (G g : all) {
            if (g.status() != G.DEAD) {
                out.add(g);
            }
        }
        return out;
    }
}
