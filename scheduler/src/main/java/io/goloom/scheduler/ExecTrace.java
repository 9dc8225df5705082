package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.WaitReason;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A runtime's flight recorder (Go 1.25's {@code runtime/trace.FlightRecorder}): an execution
 * trace kept in memory, the last N events of every P, snapshotted on demand with
 * {@link #writeTo(Path)} and converted by {@code ./goloom trace <file>} ({@link TraceTool}) into
 * Perfetto / Chrome trace-event JSON. Off unless started: {@code -Dgoloom.debug=trace=1} (or
 * {@code trace=N}: N events per P), or {@link #start()}.
 *
 * <h3>The rings</h3>
 * One ring per P, {@link #EVENT_WORDS} longs per event (time, kind|M|aux, goroutine id, arg),
 * written only by the P's owner (the M holding it, or sysmon in the instant it takes the P for a
 * hand-off, before it hands it on), so no lock and no CAS: the slots are plain stores, then a
 * release store of the position. P ownership moves through the P's status CAS and sched.lock,
 * which order one owner's stores before the next owner's. No allocation per event. A reader
 * ({@link #writeTo}) copies a ring while its owner keeps writing: it reads the position
 * (acquire), copies, reads the position again, and keeps only the events that were complete at
 * the first read and not overwritten by the second (see {@link Ring#snapshot}).
 *
 * <h3>One clock read per switch</h3>
 * {@code System.nanoTime()} costs about 28 ns on this project's machines, a quarter of a
 * goroutine switch. A stop carries its time to the P's next run when that run is found on the
 * scheduler's fast path (the P's own runnext or run queue, or the periodic global check), with no
 * event in between: the run is stamped with the stop's time, and the tens of nanoseconds of
 * scheduling between them are counted in the run. Any other event, or the slow path of
 * findRunnable (stealing, polling, sleeping: {@link #slowPath}), drops the carried time, so a
 * run after an idle P is stamped when it starts.
 *
 * <h3>The gate</h3>
 * Sites test {@link GoEvents#TRACE} in the same one-load gate word as the JFR events, then the
 * P's {@link P#trace} (null for runtimes that do not trace). {@link #start} installs the rings
 * before it opens the gate; the volatile gate read orders the owner's read of {@code P.trace}
 * after the install.
 */
public final class ExecTrace {
    static final int EVENT_WORDS = 4;
    static final int DEFAULT_EVENTS_PER_P = 1 << 16;

    // event kinds (the file's byte codes; TraceTool reads them)
    static final int RUN = 1, STOP = 2, READY = 3, STEAL = 4, PREEMPT = 5, HANDOFF = 6, TIMER = 7, NETPOLL = 8;
    // STOP's aux: how the run ended (G.EXEC_* for the common kinds)
    static final String[] HANDOFF_REASONS = {"syscall", "jdk-blocked", "native"};
    static final String[] READY_TO = {"runnext", "local", "global"};
    static final long MAGIC = 0x474F4C4F4F4D5452L; // "GOLOOMTR"
    static final int VERSION = 1;

    private final Scheduler sched;
    private Ring[] rings; // guarded by this
    private boolean running; // guarded by this

    ExecTrace(Scheduler sched) {
        this.sched = sched;
    }

    /** Starts recording with {@value #DEFAULT_EVENTS_PER_P} events per P. */
    public void start() {
        start(DEFAULT_EVENTS_PER_P);
    }

    /**
     * Starts recording, keeping the last {@code eventsPerP} events of each P (rounded up to a power
     * of two; 32 bytes each). A running recorder keeps its rings. Old rings are dropped.
     */
    public synchronized void start(int eventsPerP) {
        if (eventsPerP < 16 || eventsPerP > 1 << 24) {
            throw new IllegalArgumentException("goloom: trace: eventsPerP must be in [16, 16777216], not " + eventsPerP);
        }
        if (running) {
            return;
        }
        int cap = Integer.highestOneBit(eventsPerP - 1) << 1;
        Ring[] r = new Ring[sched.allp.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = new Ring(cap);
            sched.allp[i].trace = r[i];
        }
        rings = r;
        running = true;
        GoEvents.tracer(+1); // opens the gate after the rings are installed
    }

    /**
     * A running recorder gives Ps that setMaxProcs built after {@link #start} rings of their
     * own (Scheduler.setMaxProcs calls this once the longer allp is published). Such a P may run
     * before this call installs its ring: its first events are not recorded (put skips a P
     * without a ring), nothing else is lost. The gate is open already, so the owner reads the
     * plain {@code P.trace} racily: it sees null or the new Ring, whose buf and mask are final,
     * so a Ring seen is a Ring fully built (final-field publication).
     */
    synchronized void ringsForNewPs() {
        P[] ps = sched.allp;
        if (!running || rings.length >= ps.length) {
            return;
        }
        int cap = rings[0].mask + 1;
        Ring[] r = java.util.Arrays.copyOf(rings, ps.length);
        for (int i = rings.length; i < r.length; i++) {
            r[i] = new Ring(cap);
            ps[i].trace = r[i];
        }
        rings = r;
    }

    /** Stops recording; the rings are kept for {@link #writeTo}. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        for (P p : sched.allp) {
            p.trace = null;
        }
        GoEvents.tracer(-1);
    }

    public synchronized boolean isRunning() {
        return running;
    }

    /**
     * Writes a snapshot of the rings (the last events of each P, running or stopped) to
     * {@code file}; convert it with {@code ./goloom trace <file>}.
     *
     * @throws IllegalStateException if the recorder was never started
     */
    public void writeTo(Path file) throws IOException {
        rings(); // before the file is created
        try (OutputStream out = Files.newOutputStream(file)) {
            writeTo(out);
        }
    }

    private synchronized Ring[] rings() {
        if (rings == null) {
            throw new IllegalStateException("goloom: trace: the flight recorder of runtime " + sched.name
                    + " was never started (GoRuntime.trace().start() or -Dgoloom.debug=trace=1)");
        }
        return rings;
    }

    /** As {@link #writeTo(Path)}, to a stream (not closed). */
    public void writeTo(OutputStream os) throws IOException {
        Ring[] r = rings();
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os));
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(sched.name);
        out.writeLong(System.nanoTime()); // the snapshot's time: open slices end here
        WaitReason[] reasons = WaitReason.values();
        out.writeInt(reasons.length);
        for (WaitReason w : reasons) {
            out.writeUTF(w.toString());
        }
        out.writeInt(r.length);
        for (Ring ring : r) {
            long[] ev = ring.snapshot();
            out.writeInt(ev.length / EVENT_WORDS);
            for (long w : ev) {
                out.writeLong(w);
            }
        }
        out.flush();
    }

    /** Starts the recorder of a new runtime if {@code -Dgoloom.debug=trace=N} asks. */
    void startIfEnabled() {
        String v = SchedTrace.debugValue(System.getProperty(SchedTrace.PROPERTY), "trace");
        if (v == null || v.equals("0")) {
            return;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("goloom: -Dgoloom.debug=trace=" + v
                    + ": want trace=1 (on, " + DEFAULT_EVENTS_PER_P + " events per P) or trace=N (N events per P)");
        }
        start(n == 1 ? DEFAULT_EVENTS_PER_P : n);
    }

    // =====================================================================================
    // Writers (owner of the P only; behind the gate)

    static long word1(int kind, M m, int aux) {
        return (long) kind << 56 | (long) ((m != null ? m.id : 0xFFFFFF) & 0xFFFFFF) << 32 | (aux & 0xFFFFFFFFL);
    }

    /** One ring: {@code cap} events of {@link #EVENT_WORDS} longs. */
    static final class Ring {
        private static final VarHandle POS;

        static {
            try {
                POS = MethodHandles.lookup().findVarHandle(Ring.class, "pos", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final long[] buf;
        final int mask;
        /** Events written so far; the owner's plain read, its release store; readers acquire. */
        private volatile long pos;

        Ring(int cap) {
            buf = new long[cap * EVENT_WORDS];
            mask = cap - 1;
        }

        /**
         * The time of this P's last stop, while the P's next run may reuse it (see the class
         * comment, "One clock read per switch"); 0 otherwise. Owner only, like the slots.
         */
        long carry;

        void put(int kind, M m, int aux, long goid, long arg) {
            carry = 0; // any other event between a stop and a run: the run reads the clock
            putAt(System.nanoTime(), kind, m, aux, goid, arg);
        }

        void putAt(long time, int kind, M m, int aux, long goid, long arg) {
            long p = (long) POS.get(this); // plain: only the owner writes
            int i = (int) (p & mask) * EVENT_WORDS;
            long[] b = buf;
            b[i] = time;
            b[i + 1] = word1(kind, m, aux);
            b[i + 2] = goid;
            b[i + 3] = arg;
            POS.setRelease(this, p + 1); // the event is complete before the position covers it
        }

        /**
         * The complete events, oldest first. Events [p1, p2] may be written during the copy and
         * overwrite slots of events [p1 - cap, p2 - cap]; so keep [max(0, p2 - cap + 1), p1).
         */
        long[] snapshot() {
            long p1 = (long) POS.getAcquire(this);
            long[] copy = buf.clone();
            long p2 = (long) POS.getAcquire(this);
            long cap = mask + 1L;
            long from = Math.max(0, p2 - cap + 1);
            if (from >= p1) {
                return new long[0];
            }
            long[] out = new long[(int) (p1 - from) * EVENT_WORDS];
            int o = 0;
            for (long j = from; j < p1; j++) {
                System.arraycopy(copy, (int) (j & mask) * EVENT_WORDS, out, o, EVENT_WORDS);
                o += EVENT_WORDS;
            }
            return out;
        }
    }

    /** The goroutine (or virtual-thread task, id 0) g starts a run on pp: at the carried stop time, if any. */
    static void run(P pp, M m, G g) {
        Ring r = pp.trace;
        if (r != null) {
            long t = r.carry;
            r.carry = 0;
            r.putAt(t != 0 ? t : System.nanoTime(), RUN, m, 0, g.id, 0);
        }
    }

    /** g's run on pp ended: how (G.EXEC_*), and the wait reason of a park. Its time is carried to pp's next run. */
    static void stop(P pp, M m, G g, int how) {
        Ring r = pp.trace;
        if (r != null) {
            long t = System.nanoTime();
            r.putAt(t, STOP, m, how, g.id, how == G.EXEC_PARKED ? g.waitReason().ordinal() : 0);
            r.carry = t;
        }
    }

    /**
     * pp's scheduler left its fast path (its own run queue was empty): it may steal, poll, or
     * give the P up and sleep, so the next run on pp reads the clock afresh.
     */
    static void slowPath(P pp) {
        Ring r = pp.trace;
        if (r != null) {
            r.carry = 0;
        }
    }

    static void put(P pp, int kind, M m, int aux, long goid, long arg) {
        Ring r = pp.trace;
        if (r != null) {
            r.put(kind, m, aux, goid, arg);
        }
    }
}
