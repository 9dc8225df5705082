package io.goloom.scheduler;

/**
 * A processor: the right to run goroutines, with the local run queue it owns
 * ({@link RunQueue}, inherited so the hot fields are one object). GOMAXPROCS is the number of
 * Ps. An M must hold a P to run Gs.
 *
 * <p>Status (Go's _Pidle/_Prunning/...): who may change it, and when.
 * <pre>
 *  PIDLE     on the idle list (sched.lock), no M, empty run queue
 *  PRUNNING  held by an M (p.m), which alone touches its run queue's producer side and its
 *            owner-only fields
 *  PDEAD     the runtime closed
 * </pre>
 * Transitions: PIDLE -> PRUNNING in acquirep (the acquiring M took it from the idle list or
 * was handed it by startm), PRUNNING -> PIDLE in releasep followed by pidleput under sched.lock.
 */
final class P extends RunQueue {

    static final int PIDLE = 0;
    static final int PRUNNING = 1;
    static final int PDEAD = 3;

    /** Immutable. Index in allp. */
    final int id;
    /** Written by acquirep/releasep (the owning M), read racily by sysmon and dumps. */
    volatile int status = PIDLE;
    /** The M holding this P, or null. Written by acquirep/releasep. */
    volatile M m;
    /**
     * Incremented by the owner each time it starts a G with a fresh time slice (not when the G
     * inherits the slice from runnext). Read racily by sysmon for its "no progress for 10 ms"
     * check; also drives the every-61-ticks look at the global queue.
     */
    int schedtick;
    /** Link in the idle P list. Guarded by sched.lock. */
    P link;
    /** Owner-only: per-P batch of goroutine ids (Go's goidcache). */
    long goidcache, goidcacheend;
    /** Owner-only: counts readies to sample 1 in 8 for the latency histogram. */
    int trackTick;
    /** Owner-only: scheduling-latency histogram of sampled Gs (ready -> running). */
    final LatencyHistogram schedLatency = new LatencyHistogram();

    P(int id, int runqCapacity) {
        super(runqCapacity);
        this.id = id;
    }

    @Override
    public String toString() {
        return "P" + id + "[status=" + status + " runq=" + runqsize() + " schedtick=" + schedtick + "]";
    }
}
