package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.timers.TimerQueue;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * The system monitor: a daemon thread without a P (Go's sysmon), and the policy it applies.
 * Sysmon owns its constants, its per-P and per-M bookkeeping (the {@code sysmon*} fields of
 * {@link P} and {@link M}) and the decisions below; the {@link Scheduler} owns the queues,
 * the idle lists and the M/P hand-off machinery it asks for ({@code wakep}, {@code handoffp},
 * {@code mblocked}, {@code backFromHandoff}). Each tick it
 * <ul>
 *   <li>asks a G that has held its P for {@link #FORCE_PREEMPT_NS} to yield at its next
 *       yield point ({@link #preemptone});</li>
 *   <li>hands off the P of an M stuck in a blocking call ({@code Go.blocking}, a JDK call
 *       seen BLOCKED/WAITING/TIMED_WAITING for more than one tick, or native code: a goroutine
 *       that ignored its preemption request while its thread used no CPU, see
 *       {@link #blockedInNative}) while work waits ({@link #retake});</li>
 *   <li>acts on timers overdue by more than {@link #TIMER_OVERDUE_NS} on a busy P;</li>
 *   <li>polls the network if nobody has for 10 ms ({@link Sleepers#sysmonPoll});</li>
 *   <li>refreshes the runtime's coarse clock, and runs the deadlock check when every P is
 *       idle ({@link Deadlock}).</li>
 * </ul>
 * It sleeps 20 µs between ticks while it finds something to do, doubling to 10 ms after 50
 * quiet ticks (but at most {@link #TIMER_WATCH_NS} while a busy P that has not scheduled since
 * the last tick has timers pending, {@link #TIMER_WATCH_SCHEDULING_NS} while busy Ps that do
 * schedule have), and
 * sleeps without a deadline (no CPU at all) once every P has stayed idle through that back-off
 * (about 20 ms), until an M acquires a P again.
 *
 * <p>Threads: everything here runs on the sysmon thread, except {@link #wake} (any thread)
 * and the {@link #sleeping} flag read by acquirep. Sysmon holds no P and no lock while it
 * decides; it takes sched.lock only inside the Scheduler methods it calls.
 *
 * <h2>Deep sleep without a lost wake-up</h2>
 * <pre>
 *  sysmon                               an M in acquirep
 *  1. sleeping = true (volatile)        1. npidle-- (under sched.lock, before acquirep)
 *  2. read npidle: all idle? park       2. read sleeping (volatile): true? wake()
 * </pre>
 * Either sysmon sees a busy P and does not park, or the M sees it asleep and wakes it.
 *
 * <h2>Taking a P from a blocked M (retake)</h2>
 * The Dekker pair with the M's {@code where} word is written out in {@link #retake}; the
 * P's side (PRETAKING) is in {@link P}'s state table and {@link Scheduler#ownsP}.
 */
final class Sysmon extends Thread {

    /** A P whose schedtick has not moved for this long gets a preemption request (Go's forcePreemptNS). */
    static final long FORCE_PREEMPT_NS = 10_000_000L;
    /**
     * Timers overdue by more than this on a busy P make sysmon act (see retake). Measured in
     * the fairness workload (a 10 ms ticker beside CPU-bound goroutines on every P, ticker
     * lateness p50 / p90): 1 ms gave 1.35 / 1.7 ms, 500 µs 0.78 / 1.02 ms, 250 µs 0.44 / 0.58
     * ms. 500 µs: well under a time slice, without preempting busy goroutines for timers that
     * are barely due.
     */
    static final long TIMER_OVERDUE_NS = 500_000L;
    /** A P in a syscall with idle capacity around is left alone for this long (Go's 10 ms). */
    static final long SYSCALL_GRACE_NS = 10_000_000L;
    /**
     * How long an M must be seen blocked inside a JDK call (its thread BLOCKED, WAITING or
     * TIMED_WAITING over consecutive ticks, with no scheduling progress on its P) before its P
     * is handed off. Not two 20 µs ticks: a virtual thread that contends for a monitor shows
     * its carrier BLOCKED for the microseconds before the JDK unmounts it (JDK 24+), and under
     * load for as long as the owner waits for a core; handing off then only adds carriers
     * (measured: 496 hand-offs and as many new carriers in one http run of the compare on a
     * loaded machine, all BLOCKED at Continuation.run). A truly pinned block (class
     * initialisation, a monitor with a native frame below) is still handed off after 1 ms.
     */
    static final long JDK_BLOCK_NS = 1_000_000L;

    static final long MIN_DELAY_NS = 20_000L;        // 20 µs, as Go
    static final long MAX_DELAY_NS = 10_000_000L;    // 10 ms, as Go
    static final int IDLE_TICKS_BEFORE_BACKOFF = 50; // as Go
    /**
     * The longest sleep while a busy P has timers pending (beyond Go). Go's back-off lets
     * sysmon sleep 10 ms between ticks, so a timer on a P whose G does not yield could wait a
     * whole back-off step before sysmon sees it overdue (measured: the fairness ticker late by
     * 5.7 and 11 ms, exactly the 5.12 and 10 ms steps plus the then 1 ms overdue threshold).
     * Half the threshold keeps detection within 1.5x the threshold for at most 4,000 cheap
     * ticks a second, and only while timers wait on a busy P that has not scheduled since the
     * last tick (a possible hostage). Busy Ps with timers that do schedule get
     * {@link #TIMER_WATCH_SCHEDULING_NS}.
     */
    static final long TIMER_WATCH_NS = TIMER_OVERDUE_NS / 2;
    /**
     * The longest sleep while busy Ps have timers pending but every one of them has scheduled
     * since the last tick, so none holds its timers hostage yet (each schedule ran its
     * checkTimers). A goroutine that starts to hog one of them now is seen not scheduling at
     * the next tick, at most 2 ms away, and overdue TIMER_WATCH_NS later. Not
     * {@link #TIMER_WATCH_NS} for them too: with 10,000 sleepers timers are always pending and
     * the Ps schedule all the time, and that kept sysmon at 4,000 ticks a second for nothing
     * (369-427 ms of sysmon CPU over 40 rounds of 10,000 sleepers, against 256-295 ms with
     * this cap; a third thread on a VM that stacks the carriers on one vCPU).
     */
    static final long TIMER_WATCH_SCHEDULING_NS = 2_000_000L;

    /**
     * Sysmon's tick came this much later than its sleep asked: sysmon was stopped, by the OS or
     * by a safepoint (a GC pause), which stops every M that runs Java code as well.
     */
    static final long STALL_NS = 1_000_000L;
    /**
     * How long after a stall of sysmon's a sample of an M's CPU time may still straddle a
     * safepoint, or the JVM's waking of the threads it stopped (measured on this 2-core VM: up
     * to 7 ms after a young pause of 100-160 ms, while sysmon already ran again).
     */
    static final long STALL_QUARANTINE_NS = 10_000_000L;

    private final Scheduler sched;
    /** When sysmon last found itself stalled (STALL_NS), or long ago. Sysmon's thread only. */
    private long stalledAt = System.nanoTime() - 2 * STALL_QUARANTINE_NS;
    /** True while sysmon is parked with no deadline. Written by sysmon and by wake(). */
    volatile boolean sleeping;
    // ---- metrics counters, written by the sysmon thread only, read racily by GoRuntime.metrics ----
    /** Preemption requests made (preemptone, preemptOrphan) that found a G or task to ask. */
    long preemptRequests;
    /** P hand-offs: from an M in a blocking call (Go.blocking, PSYSCALL), blocked in a JDK call, blocked in native code. */
    long handoffsSyscall, handoffsJdk, handoffsNative;
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
        long last = System.nanoTime();
        while (!sched.stopping) {
            if (idle == 0) {
                delay = MIN_DELAY_NS;
            } else if (idle > IDLE_TICKS_BEFORE_BACKOFF) {
                delay = Math.min(delay * 2, MAX_DELAY_NS);
            }
            long sleep = timersHostage ? Math.min(delay, TIMER_WATCH_NS)
                    : timersPending ? Math.min(delay, TIMER_WATCH_SCHEDULING_NS) : delay;
            LockSupport.parkNanos(this, sleep);
            Thread.interrupted(); // an interrupt means nothing to sysmon; left set, every park would return at once
            long now = System.nanoTime();
            // Measured from the last tick, not from the park: a safepoint that stopped sysmon
            // while it worked (after it sampled an M, before it slept) counts too. So does a
            // slow tick of its own (a hand-off starting a thread), which only errs toward caution.
            if (now - last > sleep + STALL_NS) {
                stalledAt = now;
            }
            last = now;
            sched.coarseNanos = now;
            ticks = ticks + 1;
            cgroupTick(now);
            jmxTick(now);
            if (sched.allIdle()) {
                // Every P idle: nothing to retake. Sleep for good only once the runtime has
                // stayed idle while sysmon backed off to its longest tick (about 20 ms): a
                // runtime that goes idle between requests many times a second would otherwise
                // pay, on the M that next acquires a P, a wake-up of sysmon each time (measured:
                // the JDK HttpServer on goloom-vt). Go's sysmon also backs off before it waits.
                if (idle > IDLE_TICKS_BEFORE_BACKOFF && delay == MAX_DELAY_NS) {
                    deepSleep();
                    last = System.nanoTime(); // a deep sleep is no stall
                    idle = 0;
                } else {
                    idle++;
                }
                continue;
            }
            try {
                idle = retake(now) != 0 ? 0 : idle + 1;
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
        while (sleeping && sched.allIdle() && !sched.stopping) {
            if (sched.cgroup == null && !jmxPending()) {
                LockSupport.park(this);
            } else {
                // an idle runtime follows its container too, and registers its MXBean once JMX starts
                LockSupport.parkNanos(this, CGROUP_PERIOD_NS);
                long now = System.nanoTime();
                cgroupTick(now);
                jmxTick(now);
            }
            Thread.interrupted(); // as in run(): not a wake-up
        }
        sleeping = false;
    }

    // =====================================================================================
    // The runtime's MXBean, once the JVM runs JMX (RuntimeBean)

    /** How often sysmon looks for JMX while the runtime's MXBean waits for it. */
    static final long JMX_PERIOD_NS = 1_000_000_000L;
    /** Sysmon's thread only: when the next look is due. */
    private long jmxNext;

    /** The runtime's bean (set before sysmon starts), or null for a scheduler built without a GoRuntime (tests). */
    private RuntimeBean bean() {
        GoRuntime rt = sched.runtime;
        return rt != null ? rt.bean : null;
    }

    private boolean jmxPending() {
        RuntimeBean b = bean();
        return b != null && b.pending();
    }

    private void jmxTick(long now) {
        if (now - jmxNext < 0) {
            return;
        }
        jmxNext = now + JMX_PERIOD_NS;
        RuntimeBean b = bean();
        if (b != null) {
            try {
                b.registerIfJmxStarted();
            } catch (RuntimeException | LinkageError e) {
                System.err.println("goloom: sysmon of " + sched.name + ": MXBean not registered: " + e);
            }
        }
    }

    // =====================================================================================
    // The container's CPU limit (Go 1.25's sysmonUpdateGOMAXPROCS)

    /** How often sysmon re-reads the cgroup's CPU limit while the default GOMAXPROCS is followed (Go: 1 s). */
    static final long CGROUP_PERIOD_NS = 1_000_000_000L;
    /** Sysmon's thread only: when the limit is next due. */
    private long cgroupNext = System.nanoTime() + CGROUP_PERIOD_NS;
    /** Re-reads of the cgroup limit done (written by sysmon only; read by tests). */
    volatile long cgroupReads;
    /** Set by {@link #rereadCgroupNow} (any thread): re-read at the next tick whatever the time. */
    private volatile boolean cgroupDue;

    /**
     * Re-reads the cgroup's CPU limit when due and applies the default GOMAXPROCS if it changed
     * (Scheduler.updateDefaultProcs; nothing once procs were set explicitly). Go hands the
     * resize to a goroutine because it stops the world; here a resize takes sched.lock for a
     * list walk and never waits for an M, so sysmon does it. Sysmon's thread.
     */
    private void cgroupTick(long now) {
        if (sched.cgroup == null || !(cgroupDue || now - cgroupNext >= 0)) {
            return;
        }
        cgroupDue = false;
        cgroupNext = now + CGROUP_PERIOD_NS;
        try {
            sched.updateDefaultProcs();
        } catch (RuntimeException e) {
            System.err.println("goloom: sysmon of " + sched.name + ": cannot apply the container's CPU limit: " + e);
        }
        cgroupReads++; // after the resize: a test that saw the count move sees its effect
    }

    /**
     * Test hook: sysmon re-reads the cgroup limit at its next tick, as if a second had passed
     * (so a test drives the re-read without waiting for the clock). Any thread.
     */
    void rereadCgroupNow() {
        cgroupDue = true;
        wake();
    }

    // =====================================================================================
    // Retake: preemption requests and hand-offs (Go's retake)

    /**
     * One sysmon pass over the Ps (Go's retake): preemption requests for Ps whose G has run for
     * 10 ms, and handoff of Ps whose M is stuck in a blocking call while work waits. Returns
     * how many Ps were retaken or preempted (non-zero keeps sysmon's delay short).
     */
    private int retake(long now) {
        int n = 0;
        boolean anyPending = false, anyHostage = false;
        long timerNow = sched.bubble == null ? now : sched.nanoTime(); // a bubble's timers are on its fake clock
        // Go's sysmon polls the network if nobody has for 10 ms; what it finds goes to the global queue.
        if (sched.sleepers.sysmonPoll(now)) {
            n++;
        }
        int procs = sched.gomaxprocs;
        for (P pp : sched.allp) {
            long s = pp.status();
            int st = P.state(s);
            if (st != P.PRUNNING && st != P.PSYSCALL) {
                pp.sysmonBlockedTicks = 0;
                if (st == P.PSTOPPED) {
                    // A retired P's timers (setMaxProcs): its adopter, the active P id % GOMAXPROCS,
                    // runs them in findRunnable; when they are overdue, act as for the adopter's
                    // own (below): an idle M, or the adopter's G asked to yield.
                    long hint = pp.timers.earliestHint();
                    // Its adopter runs them only in its own findRunnable: keep the 250 us watch,
                    // as before (retired Ps are rare; their schedtick says nothing of the adopter).
                    anyPending |= hint != TimerQueue.NONE;
                    anyHostage |= hint != TimerQueue.NONE;
                    if (hint != TimerQueue.NONE && now - hint > TIMER_OVERDUE_NS && pp.id >= procs) {
                        if (sched.npidle() > 0) {
                            sched.wakep();
                        } else if (preemptone(sched.allp[pp.id % procs])) {
                            n++;
                        }
                    }
                }
                continue;
            }
            if (pp.id >= procs && st == P.PRUNNING && preemptone(pp)) {
                n++; // retired by setMaxProcs: its G yields, and its M retires the P (findRunnable)
            }
            // Timer-aware preemption (beyond Go): this P's timers are overdue by more than
            // TIMER_OVERDUE_NS (0.5 ms) while its M is busy. Wake an idle M to run them (a thief runs victims' timers), or, with
            // no idle P, ask the running G to yield so its own M gets to them.
            long hint = pp.timers.earliestHint();
            if (hint != TimerQueue.NONE && timerNow - hint > TIMER_OVERDUE_NS) {
                if (sched.npidle() > 0) {
                    sched.wakep();
                } else if (preemptone(pp)) {
                    n++;
                }
            }
            int tick = pp.schedtickOpaque();
            boolean progressed = pp.sysmonSchedtick != tick;
            // The timer watch: only a P that has not been through the scheduler since the last
            // pass can hold its timers hostage; one that has ran checkTimers (findRunnable
            // does before every schedtick++).
            anyPending |= hint != TimerQueue.NONE;
            anyHostage |= hint != TimerQueue.NONE && !progressed;
            if (progressed) {
                pp.sysmonSchedtick = tick;
                pp.sysmonSchedwhen = now;
                pp.sysmonBlockedTicks = 0;
            } else if (st == P.PRUNNING && now - pp.sysmonSchedwhen >= FORCE_PREEMPT_NS) {
                if (preemptone(pp)) {
                    n++;
                }
            }
            if (st == P.PSYSCALL) {
                int stick = pp.syscalltick;
                if (pp.sysmonSyscalltick != stick) {
                    pp.sysmonSyscalltick = stick;
                    pp.sysmonSyscallwhen = now;
                    continue;
                }
                if (!workWaiting(pp) && now - pp.sysmonSyscallwhen < SYSCALL_GRACE_NS) {
                    continue;
                }
                M sm = pp.m;
                handingOff(sm);
                if (pp.casStatus(s, P.epoch(s) << 3 | P.PIDLE)) {
                    pp.m = null;
                    n++;
                    handoffsSyscall++;
                    if (GoEvents.flags != 0) {
                        observeHandoff(pp, sm, 0);
                    }
                    sched.handoffp(pp);
                } else if (sm != null) {
                    handoffAborted(sm);
                }
                continue;
            }
            // PRUNNING: is its M stuck in user code? Either blocked inside a JDK call (seen
            // twice: a pinned park, a monitor, class initialisation), or blocked in native code
            // (an FFM call, a JDK native read or select: the thread is RUNNABLE, see
            // blockedInNative). Either way, hand the P to another M while work waits for it.
            // Not for running long: a goroutine or virtual thread on CPU for a whole slice was
            // asked to yield above (preemptone), and handing its P off would only add a thread
            // beyond GOMAXPROCS (for a JDK virtual thread without the agent's yield points, as
            // on the JDK's own scheduler, it runs until it parks or yields; idle Ps steal what
            // waits behind it).
            M m = pp.m;
            if (m == null || m.where() != M.IN_USER) {
                pp.sysmonBlockedTicks = 0;
                continue;
            }
            boolean inNative = false;
            if (!blockedInJdk(m)) {
                // CPU-time reads only for suspects, and only while work waits for the P
                inNative = !progressed && workWaiting(pp) && blockedInNative(m, pp, now, stalledAt);
                if (!inNative) {
                    pp.sysmonBlockedTicks = 0;
                    continue;
                }
            }
            if (!inNative && pp.sysmonBlockedTicks++ == 0) {
                pp.sysmonBlockedSince = now;
            }
            if ((!inNative && (pp.sysmonBlockedTicks < 2 || now - pp.sysmonBlockedSince < JDK_BLOCK_NS))
                    || !workWaiting(pp) && !(sched.bubble != null && Deadlock.parkedPinned(m))) {
                // blocked for under JDK_BLOCK_NS, or nothing is waiting for the P. In a Synctest
                // bubble a pinned park loses its P anyway: the bubble's clock waits for every P
                // to be idle (Bubble), and only a ready can end that park.
                if (workBehindBlockedM(pp)) {
                    n++; // keeps the ticks short until it is taken or the P handed off
                }
                continue;
            }
            // Dekker with the M: CAS first, then read where. The M writes where (volatile),
            // then reads status (ownsP). One of us sees the other. (inNative is not re-sampled:
            // a native call that returns just now leaves the G IN_USER, and losing the P then
            // is the same race as a JDK call returning right after blockedInJdk.)
            handingOff(m);
            if (!pp.casStatus(s, P.epoch(s) << 3 | P.PRETAKING)) {
                handoffAborted(m);
                continue;
            }
            if (m.where() == M.IN_USER && pp.m == m && (inNative || blockedInJdk(m))) {
                pp.m = null;
                pp.setStatus(P.epoch(s) << 3 | P.PIDLE);
                pp.sysmonBlockedTicks = 0;
                n++;
                if (inNative) {
                    handoffsNative++;
                } else {
                    handoffsJdk++;
                }
                if (GoEvents.flags != 0) {
                    observeHandoff(pp, m, inNative ? 2 : 1);
                }
                sched.handoffp(pp);
                if (sched.bubble != null) {
                    sched.bubble.kick(); // the P may have gone idle without an M passing stopm
                }
                // The M keeps running its G (or task) once the JDK call returns, now without a
                // P: one thread more than GOMAXPROCS competing for the cores. Go's exitsyscall
                // gives such a G back to the scheduler at once; with no exit hook here, ask it to
                // yield at its next yield point, where execute() sees the lost P and files it on
                // the global queue (lostP). Measured without this: hogs seen BLOCKED during class
                // initialisation ran P-less for the rest of the run, the cores were oversubscribed
                // and a 10 ms ticker woke up to 12 ms late.
                preemptOrphan(m);
            } else {
                pp.setStatus(s); // the M moved on: back off
                handoffAborted(m);
            }
        }
        timersPending = anyPending;
        timersHostage = anyHostage;
        return n;
    }

    /**
     * A busy P had a timer pending at sysmon's last pass. Sysmon then ticks at least every
     * {@link #TIMER_WATCH_SCHEDULING_NS} whatever its back-off. Sysmon's thread only.
     */
    private boolean timersPending;

    /**
     * A busy P that had not scheduled since the pass before had a timer pending at sysmon's
     * last pass. Sysmon then ticks at least every {@link #TIMER_WATCH_NS} whatever its
     * back-off, so a timer held hostage by a G that does not yield is seen overdue within
     * about TIMER_OVERDUE_NS + TIMER_WATCH_NS once sysmon has seen its P not scheduling.
     * Sysmon's thread only.
     */
    private boolean timersHostage;

    private static boolean blockedInJdk(M m) {
        Thread.State ts = m.getState();
        return ts == Thread.State.BLOCKED || ts == Thread.State.WAITING || ts == Thread.State.TIMED_WAITING;
    }

    /**
     * A goroutine is suspected of blocking in native code after its P's time slice has lasted
     * this long with its preemption request (sent at {@link #FORCE_PREEMPT_NS}) unanswered.
     */
    static final long NATIVE_BLOCK_NS = 20_000_000L;
    /** A suspect's thread CPU time is sampled at most once per this long; unchanged over it = off CPU. */
    static final long NATIVE_CPU_WINDOW_NS = 1_000_000L;

    /**
     * Is m's goroutine blocked in native code? (Beyond Go, whose every system call passes
     * entersyscall; here an FFM downcall, a JDK native read of a FIFO or a file, or the native
     * resolver blocks with the thread RUNNABLE, invisible to blockedInJdk.) Sysmon's thread;
     * the caller saw m IN_USER on a P whose schedtick has not moved since its last look.
     *
     * <pre>
     *  no sample ── slice ≥ NATIVE_BLOCK_NS, curg's preempt request pending ──> sampled (g, tick, cpu, when)
     *  sampled   ── another G or tick, or the request answered ───────────────> no sample / resampled
     *  sampled   ── ≥ NATIVE_CPU_WINDOW_NS later, cpu moved or kernel state R ─> resampled (a hog)
     *  sampled   ── ≥ NATIVE_CPU_WINDOW_NS later, cpu still, state not R ─────> blocked: hand off
     *               (the sample near a stall of sysmon's: only if the JVM has the thread in native code)
     * </pre>
     * A goroutine that reaches yield points answers the request, so only one stuck in a call
     * is ever sampled; a CPU-bound goroutine without yield points costs one CPU-time read per
     * window. The kernel state (procfs, Linux) keeps a runnable thread that the OS has not
     * scheduled for a window from looking blocked; where procfs is missing an unchanged CPU
     * time alone decides, and where CPU time is missing a state of S or D alone. A wrong guess
     * costs what the implicit handoff always costs: the G runs P-less until its next yield
     * point (preemptOrphan), then queues globally (lostP). The last step is
     * {@link #looksBlocked}.
     */
    private static boolean blockedInNative(M m, P pp, long now, long stalledAt) {
        G g = m.curg();
        boolean asked;
        if (g != null) {
            asked = g.preemptRequested();
        } else {
            g = m.task; // a JDK virtual thread (racy read: a stale value only restarts the sample)
            asked = m.taskPreempt;
        }
        if (g == null || !asked || now - pp.sysmonSchedwhen < NATIVE_BLOCK_NS) {
            m.sysmonNativeWork = null;
            return false;
        }
        if (m.sysmonNativeWork != g || m.sysmonNativeTick != pp.sysmonSchedtick) {
            m.sysmonNativeWork = g;
            m.sysmonNativeTick = pp.sysmonSchedtick;
            m.sysmonCpu = cpuNanos(m);
            m.sysmonCpuWhen = now;
            return false;
        }
        if (now - m.sysmonCpuWhen < NATIVE_CPU_WINDOW_NS) {
            return false;
        }
        long cpu = cpuNanos(m);
        if (cpu == m.sysmonCpu
                && looksBlocked(cpu, kernelState(m.tid), m.sysmonCpuWhen - stalledAt < STALL_QUARANTINE_NS, () -> inNative(m))) {
            return true;
        }
        m.sysmonCpu = cpu;
        m.sysmonCpuWhen = now;
        return false;
    }

    /** Go's retake condition: local work, or nobody idle or spinning to pick up global work. */
    /**
     * pp's M is blocked in a JDK call, not yet long enough for a hand-off, and Gs wait in pp's
     * own queue while a P is idle and nobody spins: wake a spinning M, which steals them (the
     * runnext after the thieves' grace). Why: ready() wakes nobody for a G it puts into an empty
     * runnext (a hand-off to the waker's own P), counting on the waker to park or yield soon; a
     * waker that blocks instead (a monitor entered with a native frame on the stack, class
     * initialisation) left that G waiting for the 1 ms hand-off. OpenJDK's Starvation test (a
     * virtual thread counts down a latch its starter waits on, then blocks pinned on a monitor
     * the starter holds) ran 100,000 rounds in 38.5 s on goloom, 11.3 to 14.1 s with this, 8.0 s
     * on stock virtual threads (same minutes, another process loading the cores). Returns
     * whether Gs wait in pp's queue: then sysmon keeps its ticks short, so that it looks again
     * (and hands the P off after JDK_BLOCK_NS) within microseconds, not after its back-off.
     */
    private boolean workBehindBlockedM(P pp) {
        if (pp.runqempty()) {
            return false;
        }
        sched.wakep(); // a no-op unless a P is idle and nobody spins (its own first test)
        return true;
    }

    private boolean workWaiting(P pp) {
        return !pp.runqempty() || sched.globalQueueSize() != 0 || sched.nmspinning.get() + sched.npidle() == 0;
    }

    /**
     * Asks the goroutine m runs, now that m has lost its P, to come back to the scheduler at its
     * next yield point. Goroutines only: a direct task (a JDK virtual thread) is handed off
     * because it could not be preempted (pinned, in file I/O, blocked) and keeps running until
     * it parks or yields on its own, as before. Measured: asking virtual-thread hogs to yield
     * here too made goloom-vt's fairness ticker wait behind them in the global queue (its
     * wake-up comes from the JDK's unparker thread, see VirtualThreads), p50 0.4 -> 15 ms.
     */
    private void preemptOrphan(M m) {
        G g = m.curg();
        if (g != null && g.requestPreempt()) {
            preemptRequests++;
        }
    }

    /**
     * A hand-off of pp taken from blocked m (reason: an index of ExecTrace.HANDOFF_REASONS). Sysmon
     * holds pp here (its CAS took it; handoffp has not passed it on), so it may write pp's ring.
     */
    private static void observeHandoff(P pp, M m, int reason) {
        int f = GoEvents.flags;
        if ((f & GoEvents.HANDOFF) != 0) {
            GoEvents.handoff(pp, m, ExecTrace.HANDOFF_REASONS[reason]);
        }
        if ((f & GoEvents.TRACE) != 0) {
            G g = m != null ? m.curg() : null;
            ExecTrace.put(pp, ExecTrace.HANDOFF, m, reason, g != null ? g.id : 0, 0);
        }
    }

    /** Asks the G running on pp to yield at its next yield point (Go's preemptone). */
    private boolean preemptone(P pp) {
        M m = pp.m;
        if (m == null) {
            return false;
        }
        G g = m.curg();
        boolean asked;
        if (g != null) {
            asked = g.requestPreempt();
        } else {
            // A direct task (a JDK virtual thread) in user code: only the agent's yield points
            // can honour this, by Thread.yield() (see agentYieldPoint).
            asked = m.where() == M.IN_USER && m.requestTaskPreempt();
        }
        if (asked) {
            preemptRequests++;
            pp.preemptAskedAt = System.nanoTime(); // sysmon only: for the honoured event's latency
            if ((GoEvents.flags & GoEvents.PREEMPT_ASK) != 0) {
                GoEvents.preemptRequest(g, pp);
            }
        }
        return asked;
    }

    /**
     * Sysmon is about to hand off m's P: count m as blocked first, so that the M started for
     * the P is within the carrier bound, and so that m, which can only see the loss after
     * sysmon's status CAS, finds the flag set. Undone by {@link #handoffAborted} if the CAS
     * fails.
     */
    private void handingOff(M m) {
        if (m != null && m.setHandedOff()) {
            sched.mblocked.incrementAndGet();
        }
    }

    private void handoffAborted(M m) {
        sched.backFromHandoff(m);
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

    /**
     * The verdict on an M whose CPU time ({@code cpu}, -1 unknown) stood still over a sample
     * window and whose kernel state is {@code state} (0 unknown): is it blocked?
     *
     * <p>Off CPU and not runnable, normally yes: in a native call, or waiting in the JVM where
     * the Thread state still says RUNNABLE (JDK 25 reports a thread that waits for another
     * thread's class initialisation so, and no lock).
     *
     * <p>But a safepoint (a GC pause) stops every thread that runs Java code, so a CPU-bound
     * goroutine's CPU time also stands still across it, and its thread sleeps in the kernel
     * until the JVM wakes it. A safepoint stops sysmon too, so it shows as a stall of sysmon's
     * own ticks; when the window began less than {@link #STALL_QUARANTINE_NS} after such a
     * stall, or before it ({@code nearStall}), only the JVM's word that the thread is in native
     * code ({@code inNative}: 1 yes, 0 no, -1 unknown) decides, and a thread that waits in the
     * JVM is handed off a window later. Measured without this (a virtual thread starting a
     * million virtual threads on goloom-vt, the shape of compare's spawn, with young pauses of
     * 100-160 ms): the producer, on CPU the whole time, was handed off as blocked in native
     * code in 6 runs of 50, and a new M started; with it, in none of 25.
     */
    static boolean looksBlocked(long cpu, char state, boolean nearStall, java.util.function.IntSupplier inNative) {
        if (cpu >= 0 ? state == 'R' : state != 'S' && state != 'D') {
            return false; // runnable: the OS, not a call, keeps it off CPU
        }
        return !nearStall || inNative.getAsInt() == 1;
    }

    /**
     * Whether the JVM has thread {@code t} in native code (a JNI or FFM call): 1 yes, 0 no (in
     * Java code, waiting in the JVM, or stopped at a safepoint), -1 unknown (no thread bean,
     * the thread gone). A thread snapshot without a stack trace: no safepoint.
     */
    static int inNative(Thread t) {
        ThreadMXBean mx = ThreadBean.MX;
        if (mx == null) {
            return -1;
        }
        try {
            java.lang.management.ThreadInfo info = mx.getThreadInfo(t.threadId());
            return info == null ? -1 : info.isInNative() ? 1 : 0;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** CPU time used by {@code t} in ns, or -1 if the JVM cannot tell. */
    static long cpuNanos(Thread t) {
        ThreadMXBean mx = ThreadBean.CPU;
        return mx == null ? -1 : mx.getThreadCpuTime(t.threadId());
    }

    /**
     * Loaded on the first suspect only: the JMX thread bean ({@code MX}, for thread snapshots)
     * and, if it measures CPU time, the same bean as {@code CPU}; null where it is missing.
     */
    private static final class ThreadBean {
        static final ThreadMXBean MX = bean();
        static final ThreadMXBean CPU = MX != null && MX.isThreadCpuTimeSupported() && MX.isThreadCpuTimeEnabled() ? MX : null;

        private static ThreadMXBean bean() {
            try {
                return ManagementFactory.getThreadMXBean();
            } catch (RuntimeException | LinkageError e) {
                return null; // e.g. a runtime image without java.management
            }
        }
    }
}
