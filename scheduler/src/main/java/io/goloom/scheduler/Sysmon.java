package io.goloom.scheduler;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * The system monitor: a daemon thread without a P (Go's sysmon). Each tick it
 * <ul>
 *   <li>asks a G that has held its P for 10 ms to yield at its next yield point;</li>
 *   <li>hands off the P of an M stuck in a blocking call ({@code Go.blocking}, a JDK call
 *       seen BLOCKED/WAITING/TIMED_WAITING for more than one tick, or native code: a goroutine
 *       that ignored its preemption request while its thread used no CPU, see
 *       {@code Scheduler.blockedInNative}) while work waits;</li>
 *   <li>refreshes the runtime's coarse clock.</li>
 * </ul>
 * It sleeps 20 µs between ticks while it finds something to do, doubling to 10 ms after 50
 * quiet ticks (but at most {@link #TIMER_WATCH_NS} while a busy P has timers pending), and
 * sleeps without a deadline (no CPU at all) while every P is idle, until an M acquires a P
 * again.
 *
 * <h2>Deep sleep without a lost wake-up</h2>
 * <pre>
 *  sysmon                               an M in acquirep
 *  1. sleeping = true (volatile)        1. npidle-- (under sched.lock, before acquirep)
 *  2. read npidle: all idle? park       2. read sleeping (volatile): true? wake()
 * </pre>
 * Either sysmon sees a busy P and does not park, or the M sees it asleep and wakes it.
 */
final class Sysmon extends Thread {

    static final long MIN_DELAY_NS = 20_000L;        // 20 µs, as Go
    static final long MAX_DELAY_NS = 10_000_000L;    // 10 ms, as Go
    static final int IDLE_TICKS_BEFORE_BACKOFF = 50; // as Go
    /**
     * The longest sleep while a busy P has timers pending (beyond Go). Go's back-off lets
     * sysmon sleep 10 ms between ticks, so a timer on a P whose G does not yield could wait a
     * whole back-off step before sysmon sees it overdue (measured: the fairness ticker late by
     * 5.7 and 11 ms, exactly the 5.12 and 10 ms steps plus the then 1 ms overdue threshold).
     * Half the threshold keeps detection within 1.5x the threshold for at most 4,000 cheap
     * ticks a second, and only while timers wait on busy Ps.
     */
    static final long TIMER_WATCH_NS = Scheduler.TIMER_OVERDUE_NS / 2;

    private final Scheduler sched;
    /** True while sysmon is parked with no deadline. Written by sysmon and by wake(). */
    volatile boolean sleeping;
    /** Ticks run, for tests and schedtrace. Written by sysmon only. */
    volatile long ticks;

    Sysmon(Scheduler sched) {
        super(sched.name + "-sysmon");
        this.sched = sched;
        setDaemon(true);
    }

    /** Wakes sysmon from its deep sleep (or its tick sleep). Any thread. */
    void wake() {
        sleeping = false;
        LockSupport.unpark(this);
    }

    @Override
    public void run() {
        long delay = MIN_DELAY_NS;
        int idle = 0;
        while (!sched.stopping) {
            if (idle == 0) {
                delay = MIN_DELAY_NS;
            } else if (idle > IDLE_TICKS_BEFORE_BACKOFF) {
                delay = Math.min(delay * 2, MAX_DELAY_NS);
            }
            LockSupport.parkNanos(this, sched.sysmonTimersPending ? Math.min(delay, TIMER_WATCH_NS) : delay);
            Thread.interrupted(); // an interrupt means nothing to sysmon; left set, every park would return at once
            long now = System.nanoTime();
            sched.coarseNanos = now;
            ticks = ticks + 1;
            if (sched.npidle() == sched.gomaxprocs) {
                deepSleep();
                idle = 0;
                continue;
            }
            try {
                idle = sched.retake(now) != 0 ? 0 : idle + 1;
            } catch (Throwable t) {
                // e.g. the thread limit when handing off a P; the P is back on the idle list
                System.err.println("goloom: sysmon of " + sched.name + ": " + t);
                idle = 0;
            }
        }
    }

    private void deepSleep() {
        if (sched.deadlockDetection) {
            sched.deadlock.check(); // everything is idle: is anything left that can wake a goroutine?
        }
        sleeping = true; // volatile store, then the volatile read of npidle: see the class comment
        while (sleeping && sched.npidle() == sched.gomaxprocs && !sched.stopping) {
            LockSupport.park(this);
            Thread.interrupted(); // as in run(): not a wake-up
        }
        sleeping = false;
    }

    // ---- the native-block probe's view of a thread (sysmon calls these for suspects only) ----

    /**
     * The kernel thread id of the calling thread, from procfs ({@code /proc/thread-self ->
     * <pid>/task/<tid>}), or 0 where there is none. One readlink, once per M.
     */
    static int currentTid() {
        try {
            Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            return Integer.parseInt(link.getFileName().toString());
        } catch (IOException | RuntimeException e) {
            return 0; // no procfs (not Linux, or a sandbox): CPU time alone decides
        }
    }

    /**
     * The kernel's scheduling state of thread {@code tid} of this process ('R' running or
     * runnable, 'S' sleeping, 'D' in uninterruptible I/O, ...), or 0 if unknown. The state is
     * the first field after the command name, which ends at the last ')' (a name may hold one).
     */
    static char kernelState(int tid) {
        if (tid == 0) {
            return 0;
        }
        try {
            byte[] stat = Files.readAllBytes(Path.of("/proc/self/task/" + tid + "/stat"));
            for (int i = stat.length - 1; i >= 0; i--) {
                if (stat[i] == ')') {
                    return i + 2 < stat.length ? (char) stat[i + 2] : 0;
                }
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** CPU time used by {@code t} in ns, or -1 if the JVM cannot tell. */
    static long cpuNanos(Thread t) {
        ThreadMXBean mx = Cpu.MX;
        return mx == null ? -1 : mx.getThreadCpuTime(t.threadId());
    }

    /** Loaded on the first suspect only: the JMX thread bean, if it measures CPU time. */
    private static final class Cpu {
        static final ThreadMXBean MX = bean();

        private static ThreadMXBean bean() {
            try {
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                return mx.isThreadCpuTimeSupported() && mx.isThreadCpuTimeEnabled() ? mx : null;
            } catch (RuntimeException | LinkageError e) {
                return null; // e.g. a runtime image without java.management
            }
        }
    }
}
