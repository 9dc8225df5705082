package io.goloom.scheduler;

import io.goloom.timers.TimerQueue;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A processor: the right to run goroutines, with the local run queue it owns
 * ({@link RunQueue}, inherited so the hot fields are one object). GOMAXPROCS is the number of
 * Ps. An M must hold a P to run Gs.
 *
 * <h2>The status word: state and epoch</h2>
 * {@code status = epoch << 3 | state}, a long. The epoch grows by one at every acquirep, so a
 * compare-and-set that names the epoch its M acquired the P in can never succeed on a P that
 * was taken away and handed out again meanwhile (the ABA that Go guards with syscalltick and
 * oldp). An M remembers its epoch in {@code m.pEpoch}. The epoch has 61 bits so it never wraps:
 * with the 29 bits of an int word, an M blocked in a JDK call for as long as its P takes to go
 * through 2^29 acquireps (minutes of idle/wake churn; a livelock once did 40 million in 5 s)
 * could find the same epoch again and take a P another M holds. A long CAS costs the same as an
 * int CAS on the 64-bit platforms goloom runs on.
 * <pre>
 *  state       meaning and owner
 *  PIDLE       no M. On the idle list (sched.lock) with an empty run queue; or on the
 *              wants-an-M list (sched.lock) with Gs queued, when the thread limit kept
 *              startm from finding it an M (thieves steal from it, and the next M to go
 *              idle takes it, see Scheduler.startm); or in hand-off between an M and a list
 *  PRUNNING    held by m, which alone uses the run queue's owner side and the owner fields
 *  PSYSCALL    held by an M inside Go.blocking: the M does not touch the P until exitsyscall
 *              CASes it back to PRUNNING; sysmon may CAS it to PIDLE and hand it off
 *  PRETAKING   sysmon is deciding whether to take the P from an M blocked inside a JDK call
 *              (see Sysmon.retake); lasts a few instructions; the owner waits it out
 *  PDEAD       the runtime closed
 *  PSTOPPED    retired by GoRuntime.setMaxProcs (id >= GOMAXPROCS): no M, on no list, empty
 *              run queue; its timers are run by the active P id % GOMAXPROCS (SchedT.procresize)
 *
 *  transition                    by                      how
 *  PIDLE     -> PRUNNING         acquirep (new M)        set, epoch + 1 (P is off both lists)
 *  PRUNNING  -> PIDLE            releasep (owner)        CAS (waits out PRETAKING)
 *  PRUNNING  -> PSYSCALL         entersyscall (owner)    CAS
 *  PSYSCALL  -> PRUNNING         exitsyscall (owner)     CAS with its epoch: fails if retaken
 *  PSYSCALL  -> PIDLE            sysmon retake           CAS, then handoffp
 *  PRUNNING  -> PRETAKING        sysmon retake           CAS
 *  PRETAKING -> PRUNNING         sysmon, backing off     set (the owner was not blocked)
 *  PRETAKING -> PIDLE            sysmon, committing      set, then handoffp
 *  PIDLE     -> PSTOPPED         procresize, pidleput,   set under sched.lock, when id >= GOMAXPROCS
 *                                pneedmput               (the P was unowned and being listed)
 *  PSTOPPED  -> PIDLE            procresize (growth)     set under sched.lock, then the idle list
 * </pre>
 */
final class P extends RunQueue {

    static final int PIDLE = 0;
    static final int PRUNNING = 1;
    static final int PSYSCALL = 2;
    static final int PRETAKING = 3;
    static final int PDEAD = 4;
    static final int PSTOPPED = 5;
    static final int STATE_MASK = 7;
    private static final String[] NAMES = {"idle", "running", "syscall", "retaking", "dead", "stopped"};

    private static final VarHandle STATUS;
    private static final VarHandle SCHEDTICK;
    private static final VarHandle TIMER_LOCK;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATUS = l.findVarHandle(P.class, "status", long.class);
            SCHEDTICK = l.findVarHandle(P.class, "schedtick", int.class);
            TIMER_LOCK = l.findVarHandle(P.class, "timerLock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Immutable. Index in allp; the P is active while id < GOMAXPROCS. */
    final int id;
    /** epoch << 3 | state; transitions in the table above. Atomic via STATUS. */
    private volatile long status = PIDLE;
    /** The M holding this P, or null. Written by acquirep/releasep/retake; read racily by sysmon. */
    volatile M m;
    /**
     * Incremented by the owner each time it starts a G with a fresh time slice (not when the G
     * inherits the slice from runnext). Plain writes by the owner; sysmon reads it opaquely for
     * its "no progress for 10 ms" check. Also drives the every-61-ticks global-queue check.
     */
    int schedtick;
    /**
     * The global-queue check of this schedtick was put off one round so a G that a timer just
     * readied into runnext runs first (see findRunnable). Owner-only.
     */
    boolean globalCheckDeferred;
    /** Incremented by the owner at each entersyscall; sysmon compares it between ticks. */
    volatile int syscalltick;
    /** Link in the idle P list or the wants-an-M list (a P is on at most one). Guarded by sched.lock. */
    P link;
    /** Owner-only: per-P batch of goroutine ids (Go's goidcache). */
    long goidcache, goidcacheend;
    /** The flight recorder's ring of this P, null when its runtime does not trace (see ExecTrace). Owner reads. */
    ExecTrace.Ring trace;
    /** When sysmon last asked this P's G to yield (nanoTime; JFR's preemption latency). Sysmon writes, the owner reads. */
    volatile long preemptAskedAt;
    /** Owner-only: counts readies to sample 1 in 8 for the latency histogram. */
    int trackTick;
    /** Owner-only: scheduling-latency histogram of sampled Gs (ready -> running). */
    final LatencyHistogram schedLatency = new LatencyHistogram();
    // ---- metrics counters (GoRuntime.metrics sums them across Ps, racily): plain longs, each
    // written by one thread at a time, so no atomic and no fence on the paths that count ----
    /** Goroutines created by Gs running on this P (newproc). Written by the P's owner. */
    long goroutinesCreated;
    /** Successful steals by this P's M from other Ps (stealWork). Written by the P's owner. */
    long steals;
    /** Gs (and virtual-thread tasks) that yielded on a preemption request while their M owned this P. Owner. */
    long preemptsHonoured;
    /** Timers of this P's queue run (checkTimers, by whichever M holds this P's timerLock). Guarded by timerLock. */
    long timersFired;

    // ---- sysmon-only bookkeeping (Go's sysmontick) ----
    int sysmonSchedtick;
    long sysmonSchedwhen;
    int sysmonSyscalltick;
    long sysmonSyscallwhen;
    /** Consecutive sysmon ticks this P's M was seen blocked inside a goroutine's JDK call. */
    int sysmonBlockedTicks;
    /** When sysmon first saw it so (the tick that made sysmonBlockedTicks 1). */
    long sysmonBlockedSince;

    /**
     * This P's timers (Go's per-P timer heap; here a timing wheel with an inbox). Arming,
     * resetting and cancelling work from any thread; running the expired ones needs the queue's
     * owner role, which is whoever holds {@link #timerLock}: usually this P's M, sometimes a
     * thief on its last steal pass or the M that slept until the earliest deadline (so a
     * CPU-bound G on this P cannot hold other goroutines' timers hostage, Go #38860).
     */
    final TimerQueue timers;
    /** 0 free, 1 held: the owner role of {@link #timers}. Atomic via TIMER_LOCK; never waited on. */
    private volatile int timerLock;

    P(int id, int runqCapacity, TimerQueue timers) {
        super(runqCapacity);
        this.id = id;
        this.timers = timers;
    }

    /** Takes the timers' owner role if free. The CAS acquires what the last holder published. */
    boolean tryLockTimers() {
        return timerLock == 0 && TIMER_LOCK.compareAndSet(this, 0, 1);
    }

    /** Releases the owner role; the release store publishes the wheel to the next holder. */
    void unlockTimers() {
        TIMER_LOCK.setRelease(this, 0);
    }

    long status() {
        return status;
    }

    int state() {
        return (int) (status & STATE_MASK);
    }

    static int state(long status) {
        return (int) (status & STATE_MASK);
    }

    static long epoch(long status) {
        return status >>> 3;
    }

    boolean casStatus(long expect, long update) {
        return STATUS.compareAndSet(this, expect, update);
    }

    void setStatus(long s) {
        STATUS.setVolatile(this, s);
    }

    @Override
    boolean ownerRunning() {
        return state() == PRUNNING;
    }

    int schedtickOpaque() {
        return (int) SCHEDTICK.getOpaque(this);
    }

    @Override
    public String toString() {
        long s = status;
        int st = state(s);
        return "P" + id + "[" + (st < NAMES.length ? NAMES[st] : "state" + st) + " epoch=" + epoch(s)
                + " runq=" + runqsize() + " schedtick=" + schedtick + "]";
    }
}
