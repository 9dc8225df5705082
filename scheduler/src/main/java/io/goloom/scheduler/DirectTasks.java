package io.goloom.scheduler;

import io.goloom.core.Carrier;
import io.goloom.core.G;
import java.util.concurrent.RejectedExecutionException;

/**
 * Direct tasks: Runnables that run on one of this runtime's carriers on the M's own stack,
 * queued through the same run queues as goroutines. They are how JDK virtual threads run on
 * goloom (each mount of a virtual thread is one: {@link CarrierPool}, {@link VirtualThreads}).
 * A direct task's G ({@code G.directTask}) is a queue entry, never a goroutine: it has no
 * continuation of its own, is not registered in allgs and is never parked.
 *
 * <p>Also the agent's yield points ({@link #agentYieldPoint}, {@link #agentVirtualYieldPoint}):
 * sysmon's preemption request to a direct task ({@code M.taskPreempt}, see
 * {@code Sysmon.preemptone}) is honoured there, by {@code Thread.yield()} of the virtual
 * thread, whose re-submission then goes to the global queue ({@code M.yieldingTask}).
 *
 * <p>Threads: {@link #submitTask} and {@link #submitMount} run on any thread (a goroutine, a
 * virtual thread, a plain thread); {@link #run} and the yield points on an M of this runtime.
 * No lock of its own; the queues' locks are the Scheduler's.
 */
final class DirectTasks {

    private final Scheduler sched;

    DirectTasks(Scheduler sched) {
        this.sched = sched;
    }

    /** Runs a direct task on the M's own stack (no G continuation is mounted; curg stays null). */
    int run(M m, G g) {
        m.task = g;
        GoEvents.VirtualThreadTask ev = null;
        if ((GoEvents.flags & GoEvents.VTASK) != 0) {
            ev = new GoEvents.VirtualThreadTask();
            ev.begin();
        }
        try {
            if (g instanceof CarrierPool.Slot slot) {
                slot.runOn(m); // transparent mode: the slot goes back to m's cache, no carrier lookup
            } else {
                g.directTask.run();
            }
        } catch (Throwable t) {
            try {
                sched.panicked(g, t);
            } catch (Throwable ignored) {
                // the M survives a broken handler
            }
        } finally {
            m.task = null;
            if (ev != null) {
                ev.m = m.id;
                P pp = m.p;
                ev.p = pp != null ? pp.id : -1;
                ev.commit(); // the run is the event's duration; threshold 20 ms by default
            }
        }
        return G.EXEC_DEAD;
    }

    /**
     * Queues a Runnable to run directly on one of this runtime's carriers, through the same run
     * queues as goroutines: into the caller's runnext when the caller runs on one of our Ps
     * (a virtual thread woken by a goroutine or another virtual thread runs next on that P),
     * else the global queue, then wakep.
     */
    void submitTask(Runnable task) {
        G g = G.directTask(0, task, sched);
        g.markRunnable();
        submitDirect(g, false);
    }

    /**
     * Queues one mount of a virtual thread as the direct task {@code g} (made or recycled by the
     * caller; its status stays RUNNABLE). {@code self}: the thread re-submits itself from its own
     * carrier (Thread.yield, or a park that was unparked while parking): it goes to the tail of
     * the local ring, like a goroutine's yield, or to the global queue when the local ring is
     * empty ({@link #selfSubmitGoesGlobal}); a wake-up by anyone else goes to runnext, like
     * ready().
     */
    void submitMount(G g, boolean self) {
        submitDirect(g, self);
    }

    /**
     * Where a virtual thread that re-submits itself goes when its P has nothing else queued: the
     * global queue, as the JDK's own scheduler does for Thread.yield with an empty local queue
     * (an external submission) and as Go's Gosched does always. So a thread that yields in a
     * loop on a P whose ring is empty lets work queued globally (threads started or woken by
     * platform threads) run before it again, instead of only at the 61-tick fairness check;
     * OpenJDK's YieldQueuing test checks this order (A yields, B, queued by a platform thread,
     * runs, then A). With Gs in its ring the thread goes behind them, as before: local.
     * {@code pp}: the caller's own P (its M owns it).
     */
    static boolean selfSubmitGoesGlobal(P pp) {
        return pp.runqempty();
    }

    private void submitDirect(G g, boolean self) {
        if (sched.stopping) {
            throw new RejectedExecutionException("goloom: runtime " + sched.name + " is closed; task not accepted");
        }
        M m = sched.currentM();
        if (m != null && m.yieldingTask) {
            m.yieldingTask = false; // a preempted virtual thread: to the back of the global queue
            sched.globrunqput(g);
            sched.wakep();
            return;
        }
        if (m != null) {
            P pp = Scheduler.enterRuntime(m);
            if (pp != null && self && selfSubmitGoesGlobal(pp)) {
                Scheduler.exitRuntime(m);
                sched.globrunqput(g); // our M's next findRunnable takes it if nothing is ahead of it
                return;
            }
            if (pp != null) {
                boolean next = !self;
                sched.runqputLocal(pp, g, next);
                boolean kicked = next && pp.lastPutKicked; // while m owns pp, as in ready(); a yield wakes nobody
                Scheduler.exitRuntime(m);
                if (kicked || SchedChaos.ON && SchedChaos.wakeEagerly()) { // a hand-off, as in ready()
                    sched.wakep();
                }
                return;
            }
            Scheduler.exitRuntime(m);
        }
        sched.globrunqput(g);
        sched.wakep();
    }

    // =====================================================================================
    // The agent's yield points (preemption at loop back-edges)

    /**
     * What instrumented code runs while preemption requests are pending (the agent's
     * YieldPoint handler). Must return at once on threads with nothing to do.
     */
    static void agentYieldPoint() {
        if (!(Carrier.current() instanceof M m)) {
            return; // not one of our carriers
        }
        if (m.curg() != null) {
            G.checkpoint(); // a native goroutine
            return;
        }
        yieldTaskIfAsked(m);
    }

    /**
     * The agent's yield point in code that may hold thread-owned state (YieldPoint.checkVirtual):
     * yields a JDK virtual thread that is asked to, never a native goroutine. A goroutine's
     * thread is its carrier: a ReentrantLock, monitor or ThreadLocal taken in that code belongs
     * to the carrier, and switching the goroutine there would hand it to the next goroutine on
     * the carrier or strand it (unlock on another carrier: IllegalMonitorStateException). A
     * virtual thread keeps its own identity across Thread.yield().
     */
    static void agentVirtualYieldPoint() {
        if (Carrier.current() instanceof M m && m.curg() == null) {
            yieldTaskIfAsked(m);
        }
    }

    private static void yieldTaskIfAsked(M m) {
        if (m.taskPreempt && m.clearTaskPreempt()) {
            // A JDK virtual thread on our carrier: yield it. Its re-submission goes to the
            // global queue (Scheduler.execute or submitDirect checks yieldingTask), like a
            // preempted goroutine.
            m.yieldingTask = true;
            Thread.yield();
        }
    }
}
