package io.goloom.scheduler;

import io.goloom.core.G;

import io.goloom.core.Machine;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A machine: a platform thread that runs {@code schedule -> findRunnable -> execute}. It holds
 * at most one P; without one it may not run Gs or touch any P's owner-side state.
 */
final class M extends Machine {

    private static final VarHandle NOTE, WHERE, TASK_PREEMPT, HANDED_OFF;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            NOTE = l.findVarHandle(M.class, "note", int.class);
            WHERE = l.findVarHandle(M.class, "where", int.class);
            TASK_PREEMPT = l.findVarHandle(M.class, "taskPreempt", boolean.class);
            HANDED_OFF = l.findVarHandle(M.class, "handedOff", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- where this M's thread is; see Sysmon, "Taking a P from a blocked M (retake)" ----
    /** In the scheduler loop (its own stack), or without a G. */
    static final int IN_SCHED = 0;
    /** Running goroutine user code: the only state in which sysmon may take the P away. */
    static final int IN_USER = 1;
    /** A goroutine called into the runtime (ready, newproc, timers): it is using its P. */
    static final int IN_RUNTIME = 2;
    /** A goroutine is inside Go.blocking; the P is in PSYSCALL (or already handed off). */
    static final int IN_SYSCALL = 3;

    final Scheduler sched;
    final int id;
    /** The P this M holds. Written only by this thread (acquirep/releasep). */
    P p;
    /**
     * The P handed to this M by startm before its wake-up. Written by the waker under
     * sched.lock (or before start), read by this M after {@link #notesleep} returns, which
     * orders it (the note's volatile write/read pair).
     */
    P nextp;
    /**
     * This M is looking for work and is counted in sched.nmspinning. Written by this thread,
     * or by startm while this M is parked (ordered by the note).
     */
    boolean spinning;
    /** Owner-only: did the G we are about to run come from runnext (shares the time slice)? */
    boolean inheritTime;
    /** Link in the idle M list. Guarded by sched.lock. */
    M link;
    /** Owner-only xorshift state for the steal order. */
    int rand;
    /** Wake-up note: 0 = clear, 1 = signalled. Atomic via NOTE. */
    private volatile int note;
    /** One of IN_*. Written by this M only; read by sysmon. Atomic via WHERE. */
    private volatile int where;
    /**
     * The direct task this M is running, null otherwise. Written by this M only; read by the
     * task's own re-submission (CarrierPool.execute, VirtualThreads.execute, on this M) to tell a
     * virtual thread's Thread.yield from a wake-up by another thread, and racily by close's
     * report of the carriers still running (GoRuntime), for a message only.
     */
    G task;
    /**
     * The mount a virtual thread submitted for itself while this M ran its previous mount
     * (Thread.yield): Scheduler.execute files it once the task has returned. Owner-only.
     */
    G resubmit;
    /** Recycled mount slots of transparent mode (CarrierPool.Slot), linked; owner-only. */
    CarrierPool.Slot slots;
    int slotCount;
    /** The epoch of m.p when this M acquired it (see P's status word). Owner-only. */
    long pEpoch;
    /**
     * A preemption request for the direct task (a JDK virtual thread) this M runs: the
     * counterpart of G.preempt, honoured only at the agent's yield points. CAS both ways so the
     * agent's counter stays exact. Set by sysmon; cleared by the task or by this M.
     */
    volatile boolean taskPreempt;
    /** The running virtual thread is yielding for a preemption request. Owner-only. */
    boolean yieldingTask;
    /**
     * This M came back from user code after sysmon had handed its P off, found no idle P, and
     * left allm: its thread ends (Scheduler.lostP). Owner-only.
     */
    boolean retired;
    /**
     * Sysmon handed (or is handing) this M's P off while the M was blocked; counted in
     * Scheduler.mblocked until the M notices. Set by sysmon, cleared by this M or by sysmon
     * when its hand-off fails; CAS both ways so each setting is undone exactly once.
     */
    private volatile boolean handedOff;

    boolean setHandedOff() {
        return HANDED_OFF.compareAndSet(this, false, true);
    }

    boolean clearHandedOff() {
        return HANDED_OFF.compareAndSet(this, true, false);
    }

    // ---- sysmon-only: the native-block probe (Sysmon.blockedInNative) ----
    /** The kernel thread id of this M (Linux procfs), 0 if unknown. Set by this thread at start. */
    volatile int tid;
    /** The goroutine or direct task whose CPU time was sampled, or null for no sample. */
    G sysmonNativeWork;
    /** The P's schedtick at the sample. */
    int sysmonNativeTick;
    /** This thread's CPU time at the sample (ns). */
    long sysmonCpu;
    /** When the sample was taken (System.nanoTime). */
    long sysmonCpuWhen;

    M(Scheduler sched, int id) {
        super(sched.name + "-m" + id);
        this.sched = sched;
        this.id = id;
        this.rand = (id + 1) * 0x9E3779B9 | 1;
        setDaemon(true);
    }

    @Override
    public void run() {
        tid = Sysmon.currentTid();
        sched.mstart(this);
    }

    /**
     * Sleeps until {@link #notewakeup}. No timeout: every path that hands this M work signals
     * the note (anti-pattern: a timed park as a safety net hides lost wake-ups). Called on this
     * M's own thread only.
     *
     * <p>Interrupts: a set interrupt status makes {@code LockSupport.park} return at once, so a
     * carrier interrupted by a goroutine ({@code Thread.currentThread().interrupt()} in a native
     * goroutine is the carrier) or by anyone else would spin here at 100% CPU. The carrier's
     * flag means nothing to the runtime (Go has no interrupts): clear it and park again.
     */
    void notesleep() {
        // CAS 1 -> 0 consumes the signal; pairs with the volatile store in notewakeup.
        while (!NOTE.compareAndSet(this, 1, 0)) {
            LockSupport.park(this);
            Thread.interrupted(); // see above: an interrupt is not a wake-up
        }
    }

    /**
     * Sleeps until {@link #notewakeup} or until {@code deadline} (System.nanoTime) passes,
     * whichever is first. Used only by the M that sleeps for the runtime's earliest timer.
     */
    void notesleepUntil(long deadline) {
        while (!NOTE.compareAndSet(this, 1, 0)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(this, left);
            Thread.interrupted(); // as in notesleep: an interrupt is not a wake-up
        }
    }

    /** The deadline this M sleeps until while it is the runtime's timer sleeper. */
    volatile long sleepUntil;

    /** Signals the note; any thread. */
    void notewakeup() {
        NOTE.setVolatile(this, 1);
        LockSupport.unpark(this);
    }

    boolean requestTaskPreempt() {
        if (TASK_PREEMPT.compareAndSet(this, false, true)) {
            io.goloom.core.AgentHook.taskRequested();
            return true;
        }
        return false;
    }

    boolean clearTaskPreempt() {
        if (TASK_PREEMPT.compareAndSet(this, true, false)) {
            io.goloom.core.AgentHook.taskHonoured();
            return true;
        }
        return false;
    }

    /**
     * Opaque read (no ordering of its own): sysmon reads it after its CAS of p.status, whose
     * volatile read half keeps this read from moving above it (the Dekker pair of
     * {@link #setWhereVolatile}); the M's own reads need none.
     */
    int where() {
        return (int) WHERE.getOpaque(this);
    }

    /** Release store: entering IN_USER needs no fence (sysmon only acts on a stale IN_USER if the thread is also seen blocked, and then the Dekker pair below decides). */
    void setWhereRelease(int w) {
        WHERE.setRelease(this, w);
    }

    /**
     * Volatile store (a StoreLoad fence): leaving IN_USER. Pairs with sysmon's CAS of
     * p.status to PRETAKING followed by its read of {@code where}: either sysmon sees we left
     * IN_USER and backs off, or our following read of p.status sees PRETAKING/PIDLE.
     */
    void setWhereVolatile(int w) {
        WHERE.setVolatile(this, w);
    }

    /** Cheap per-M random number (xorshift32). Owner-only. */
    int fastrand() {
        int x = rand;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        rand = x;
        return x & Integer.MAX_VALUE;
    }
}
