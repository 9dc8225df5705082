package io.goloom.scheduler;

import io.goloom.core.G;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Shutting a runtime down ({@link GoRuntime#shutdown()}, {@link GoRuntime#close()}): the
 * protocol, the wait for the Ms, and close's report. Static methods over the runtime's
 * {@link Scheduler}; cold code, called once per runtime (idempotent).
 *
 * <h2>The protocol</h2>
 * Java cannot stop a thread, so shutdown is cooperative, as in Tokio's worker.rs: every party
 * notices one flag, {@code stopping}, at a point where it is safe to leave.
 * <ol>
 *   <li><b>Stop accepting.</b> The closing thread sets {@code stopping} under sched.lock. From
 *       then on newproc refuses (it registers the G in allgs and then reads stopping: a G is
 *       either refused there or in step 6's snapshot), DirectTasks refuses new mounts, wakep
 *       and handoffp start no M, and an M looking for a P (lostP, exitsyscall, stopm) takes
 *       none.</li>
 *   <li><b>Wake the idle Ms.</b> In the same sched.lock section, every M on the idle list is
 *       taken off it with no P ({@code nextp = null}) and signalled; stopm sees no P and
 *       stopping, and its M returns from findRunnable with null.</li>
 *   <li><b>Stop sysmon.</b> Its loop reads stopping each tick; a deep sleep is broken by
 *       {@code sysmon.wake()}.</li>
 *   <li><b>Wake the Ms without a P</b> ({@link Sleepers#shutdown}): stop being kicked by the
 *       netpoller, break a poll one of our Ms is blocked in, wake the timer sleeper. Each
 *       reads stopping after it wakes (the poll-token Dekker: shutdown sets stopping, then
 *       looks for a token holder; a holder publishes itself, then reads stopping).</li>
 *   <li><b>Busy Ms leave at their G's next yield point.</b> findRunnable reads stopping at
 *       the top of each round; an M leaves schedule and, in mstart's finally, releases its P
 *       (now PDEAD) and its spinning count. An M inside a goroutine that never yields keeps
 *       running it. The closing thread waits for the Ms to end for at most {@code waitMs}
 *       (skipping itself when it is one of them).</li>
 *   <li><b>Report.</b> The goroutines still registered (queued, waiting or running) are
 *       returned (allgs' snapshot); close prints them and the Ms still running
 *       ({@link #runningMs}), each named with what it runs. Nothing accepted is dropped
 *       silently: a G that will never run again is in this report.</li>
 * </ol>
 * In test mode (SchedChaos.ON) close checks the scheduler's invariants before step 1 and after
 * step 5 ({@link SchedInvariants}).
 *
 * <h2>Threads</h2>
 * Any thread may shut down, including a goroutine of the runtime itself (then its own M is not
 * waited for). Concurrent calls are harmless: steps 1 to 4 are idempotent, close reports once.
 */
final class Shutdown {

    private Shutdown() {
    }

    /**
     * Stops every M (idle ones at once; busy ones when their G next yields or parks) and
     * returns the goroutines still alive. Never waits for user code: waits for idle Ms to exit
     * for at most {@code waitMs}.
     */
    static List<G> shutdown(Scheduler sched, long waitMs) {
        List<M> ms;
        synchronized (sched.lock) {
            sched.stopping = true; // 1.
            for (M m; (m = sched.mget()) != null; ) {
                m.nextp = null;
                m.notewakeup(); // 2.
            }
            ms = new ArrayList<>(sched.allm);
        }
        sched.sysmon.wake(); // 3.
        sched.sleepers.shutdown(); // 4. break a poll one of our Ms is blocked in, wake the timer sleeper
        // 5. Wait for the Ms (busy ones leave at their G's next yield point).
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        Thread self = Thread.currentThread();
        for (M m : ms) {
            if (m == self) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                m.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return sched.allgs.snapshot(); // 6.
    }

    /**
     * After {@link #shutdown} (step 6): the Ms still running, other than the caller. Each is inside a
     * goroutine (or a direct task) that has not reached a yield point; Java cannot stop a thread,
     * so it runs on until that code yields, parks or returns, and then exits. For close's report.
     */
    static List<M> runningMs(Scheduler sched) {
        List<M> out = new ArrayList<>();
        Thread self = Thread.currentThread();
        for (M m : sched.allm()) {
            if (m != self && m.isAlive()) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * close's report: the goroutines still alive after shutdown and the carrier threads still
     * running code that has not reached a yield point. Empty when there is nothing to say.
     */
    static String report(Scheduler sched, List<G> alive) {
        StringBuilder sb = new StringBuilder();
        if (!alive.isEmpty()) {
            sb.append("goloom: runtime ").append(sched.name).append(" closed with ")
                    .append(alive.size()).append(" goroutine(s) still alive:\n");
            List<G> shown = alive.size() > 20 ? alive.subList(0, 20) : alive;
            for (Dump.GInfo gi : Dump.goroutines(sched, shown, true)) {
                sb.append('\n');
                Dump.appendG(sb, gi);
            }
            if (alive.size() > 20) {
                sb.append("\n... and ").append(alive.size() - 20).append(" more");
            }
        }
        List<M> running = runningMs(sched);
        if (!running.isEmpty()) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append("goloom: runtime ").append(sched.name).append(" closed, but ").append(running.size())
                    .append(" carrier thread(s) still run code that has not reached a yield point; each exits"
                            + " when its goroutine next yields, parks or returns:");
            for (M m : running) {
                G g = m.curg();
                sb.append("\n\t").append(m.getName()).append(" [").append(m.getState()).append("] running ")
                        .append(g != null ? "goroutine " + g.id + (g.name != null ? " \"" + g.name + "\"" : "")
                                : m.task != null ? "a direct task (a virtual thread)" : "scheduler code");
            }
        }
        return sb.toString();
    }
}
