package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.ParkCommit;
import io.goloom.timers.TimerNode;

/** The wake-up of a goroutine in {@link Go#sleep}: armed by the park commit, fires ready(next). */
final class SleepTimer extends TimerNode {
    private final G g;
    private final long until;

    SleepTimer(G g, long until) {
        this.g = g;
        this.until = until;
    }

    /**
     * Park commit (runs on the M after the G is WAITING): arm the timer on the M's P's queue.
     * Arming before the park could fire into a G that is still running; here the fire can only
     * find a parked G. Never aborts the park.
     */
    static final ParkCommit ARM = (g, arg) -> {
        SleepTimer t = (SleepTimer) arg;
        t.g.sched.timerQueue().schedule(t, t.until);
        return true;
    };

    @Override
    protected void fire() {
        g.ready(true); // runs next on the M that ran the timer
    }
}
