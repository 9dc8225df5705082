package io.goloom.scheduler;

import java.util.List;

import io.goloom.core.G;
import java.util.Set;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import jdk.jfr.SettingControl;
import jdk.jfr.SettingDefinition;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * goloom's JFR events ({@code io.goloom.*}, category goloom / Scheduler), named and shaped like
 * the JDK's own. Which are on in the JDK's default settings ({@code default.jfc}, which does
 * not name them, so their annotations decide): the rare and the latency-type ones
 * (preemption, hand-off, scheduling latency and timer lateness above 1 ms, virtual-thread tasks
 * over 20 ms as {@code jdk.VirtualThreadPinned}); the per-operation ones (start, end, park,
 * ready, steal, M start/stop/spin, netpoll wake) are {@code @Enabled(false)}.
 *
 * <h3>What a disabled event costs (the gate)</h3>
 * Every emitting site reads one static field, {@link #flags}, and tests its bit:
 * {@code if ((GoEvents.flags & GoEvents.PARK) != 0) ...}. Nothing else runs, nothing is
 * allocated, no clock is read. The bits are recomputed by a {@link FlightRecorderListener}
 * whenever a recording changes state (and once when the recorder initializes), from
 * {@link EventType#isEnabled()} of each event type: so with no recording, or with only the
 * default settings, the chatty sites stay on the one-load path. {@code flags} is volatile: a
 * recording started later is seen at the next read (x86: a plain load; the JIT cannot hoist
 * it out of the scheduler loop, which is what we want). The events' own {@code shouldCommit}
 * still applies thresholds when the bit is set. The flight recorder ({@link ExecTrace}) shares
 * the word: {@link #TRACE} is set while any runtime records, so its sites are gated by the
 * same load.
 *
 * <p>Durations that start on another thread (a park ends when a waker readies the G; a
 * scheduling latency spans two Ms) are explicit {@link Timespan} fields, as the JDK's
 * events with an explicit start do; a virtual-thread task's run is the event's own duration
 * (begin/commit on the carrier).
 */
final class GoEvents {
    private GoEvents() {
    }

    static final int START = 1, END = 1 << 1, PARK = 1 << 2, READY = 1 << 3, LATENCY = 1 << 4,
            STEAL = 1 << 5, PREEMPT_ASK = 1 << 6, PREEMPT = 1 << 7, HANDOFF = 1 << 8, MSTART = 1 << 9,
            MSTOP = 1 << 10, MSPIN = 1 << 11, TIMER = 1 << 12, NETPOLL = 1 << 13, VTASK = 1 << 14;
    /** Some runtime's flight recorder is on (see {@link ExecTrace}). */
    static final int TRACE = 1 << 20;

    /** The gate: one bit per event type enabled in some running recording, plus {@link #TRACE}. */
    static volatile int flags;
    private static int jfrBits;
    private static int tracers;

    private static final List<Class<? extends Event>> TYPES = List.of(GoroutineStart.class, GoroutineEnd.class,
            GoroutinePark.class, GoroutineReady.class, SchedLatency.class, Steal.class, PreemptRequest.class,
            Preempted.class, Handoff.class, MStart.class, MStop.class, MSpin.class, TimerFire.class,
            NetpollWake.class, VirtualThreadTask.class);

    private static final java.util.concurrent.atomic.AtomicBoolean LISTENING = new java.util.concurrent.atomic.AtomicBoolean();
    /** Recomputations started, and the newest one published (guarded by GoEvents.class). */
    private static final java.util.concurrent.atomic.AtomicLong GENERATION = new java.util.concurrent.atomic.AtomicLong();
    private static long published;

    /** Registers the recorder listener once per JVM (cheap: JFR is not started by it). */
    static void init() {
        if (!LISTENING.compareAndSet(false, true)) {
            return;
        }
        try {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(FlightRecorder recorder) {
                    recompute();
                }

                @Override
                public void recordingStateChanged(Recording recording) {
                    recompute();
                }
            });
        } catch (RuntimeException | LinkageError e) {
            // No JFR in this JVM (a runtime image without jdk.jfr's native part): events stay off.
        }
    }

    /**
     * Recomputes the JFR bits from the event types' enabled state in the running recordings.
     * JFR's own locks are taken without ours held (JFR calls this from inside its state changes),
     * so two recomputations may finish out of order: only the one started last publishes.
     */
    static void recompute() {
        long my = GENERATION.incrementAndGet();
        int bits = 0;
        boolean running = false;
        for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
            running |= r.getState() == RecordingState.RUNNING;
        }
        if (running) {
            for (int i = 0; i < TYPES.size(); i++) {
                if (EventType.getEventType(TYPES.get(i)).isEnabled()) {
                    bits |= 1 << i;
                }
            }
        }
        synchronized (GoEvents.class) {
            if (my > published) {
                published = my;
                jfrBits = bits;
                flags = bits | (tracers > 0 ? TRACE : 0);
            }
        }
    }

    /** A runtime's flight recorder started ({@code +1}) or stopped ({@code -1}). */
    static synchronized void tracer(int delta) {
        tracers += delta;
        flags = jfrBits | (tracers > 0 ? TRACE : 0);
    }

    // =====================================================================================
    // A threshold on an explicit latency field (JFR's own threshold applies to the event's
    // duration, which for these events is not the interval measured)

    /** Setting {@code above}: commit only when the event's latency field is at least this ("1 ms"). */
    abstract static class Above extends SettingControl {
        private volatile long nanos;
        private String value;

        Above(String dflt) {
            setValue(dflt);
        }

        @Override
        public String combine(Set<String> values) {
            String best = null;
            long min = Long.MAX_VALUE;
            for (String v : values) {
                long n = parse(v);
                if (n < min) {
                    min = n;
                    best = v;
                }
            }
            return best != null ? best : value;
        }

        @Override
        public void setValue(String v) {
            nanos = parse(v);
            value = v;
        }

        @Override
        public String getValue() {
            return value;
        }

        boolean test(long latency) {
            return latency >= nanos;
        }

        /** "0", "500 us", "1 ms", "2 s", "10 ns" (JFR's timespan syntax); anything else counts as 0. */
        static long parse(String v) {
            String s = v.trim();
            try {
                int i = 0;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                long n = Long.parseLong(s.substring(0, i));
                String unit = s.substring(i).trim();
                return switch (unit) {
                    case "", "ns" -> n;
                    case "us" -> n * 1_000;
                    case "ms" -> n * 1_000_000;
                    case "s" -> n * 1_000_000_000;
                    default -> 0;
                };
            } catch (RuntimeException e) {
                return 0;
            }
        }
    }

    public static final class Above1ms extends Above {
        public Above1ms() {
            super("1 ms");
        }
    }

    // =====================================================================================
    // The events

    @Name("io.goloom.GoroutineStart")
    @Category({"goloom", "Scheduler"})
    @Label("Goroutine Start")
    @Description("A goroutine was created (go statement)")
    @Enabled(false)
    @StackTrace(false)
    static final class GoroutineStart extends Event {
        @Label("Goroutine Id") long goid;
        @Label("Parent Goroutine Id") @Description("0: created by a plain thread") long parentGoid;
        @Label("Task Class") Class<?> taskClass;
        @Label("Runtime") String runtime;
    }

    @Name("io.goloom.GoroutineEnd")
    @Category({"goloom", "Scheduler"})
    @Label("Goroutine End")
    @Description("A goroutine returned, exited or panicked")
    @Enabled(false)
    @StackTrace(false)
    static final class GoroutineEnd extends Event {
        @Label("Goroutine Id") long goid;
        @Label("P") int p;
    }

    @Name("io.goloom.GoroutinePark")
    @Category({"goloom", "Scheduler"})
    @Label("Goroutine Park")
    @Description("A goroutine was parked (gopark) and has been readied; committed by the waker")
    @Enabled(false)
    @StackTrace(false)
    static final class GoroutinePark extends Event {
        @Label("Goroutine Id") long goid;
        @Label("Wait Reason") String waitReason;
        @Label("Parked") @Description("From the park to the ready") @Timespan(Timespan.NANOSECONDS) long parked;
    }

    @Name("io.goloom.GoroutineReady")
    @Category({"goloom", "Scheduler"})
    @Label("Goroutine Ready")
    @Description("A parked goroutine was made runnable; the event thread is the waker's")
    @Enabled(false)
    @StackTrace(false)
    static final class GoroutineReady extends Event {
        @Label("Goroutine Id") long goid;
        @Label("Readied By") @Description("The waking goroutine's id, 0 for a plain thread or a scheduler thread") long byGoid;
        @Label("To") @Description("runnext, local or global") String to;
        @Label("P") @Description("The waker's P, -1 for the global queue") int p;
    }

    @Name("io.goloom.SchedLatency")
    @Category({"goloom", "Scheduler"})
    @Label("Scheduling Latency")
    @Description("Time from ready to running of a sampled goroutine (1 in 8 readies, as runtime/metrics /sched/latencies)")
    @StackTrace(false)
    static final class SchedLatency extends Event {
        @Label("Goroutine Id") long goid;
        @Label("P") int p;
        @Label("Latency") @Timespan(Timespan.NANOSECONDS) long latency;

        @SettingDefinition
        @Name("above")
        @Label("Latency Above")
        boolean above(Above1ms s) {
            return s.test(latency);
        }
    }

    @Name("io.goloom.Steal")
    @Category({"goloom", "Scheduler"})
    @Label("Work Steal")
    @Description("An idle P stole goroutines from another P's run queue")
    @Enabled(false)
    @StackTrace(false)
    static final class Steal extends Event {
        @Label("Thief P") int thief;
        @Label("Victim P") int victim;
        @Label("Count") @Description("Goroutines taken, the one run at once included") int count;
    }

    @Name("io.goloom.PreemptRequest")
    @Category({"goloom", "Scheduler"})
    @Label("Preemption Requested")
    @Description("sysmon asked the goroutine (or virtual-thread task) running on a P to yield")
    @StackTrace(false)
    static final class PreemptRequest extends Event {
        @Label("Goroutine Id") @Description("0: a virtual-thread task") long goid;
        @Label("P") int p;
    }

    @Name("io.goloom.Preempted")
    @Category({"goloom", "Scheduler"})
    @Label("Preemption Honoured")
    @Description("A goroutine yielded at a yield point because sysmon asked it to")
    @StackTrace(false)
    static final class Preempted extends Event {
        @Label("Goroutine Id") @Description("0: a virtual-thread task") long goid;
        @Label("P") int p;
        @Label("Latency") @Description("From sysmon's request to the yield") @Timespan(Timespan.NANOSECONDS) long latency;
    }

    @Name("io.goloom.Handoff")
    @Category({"goloom", "Scheduler"})
    @Label("P Handoff")
    @Description("sysmon took a P from an M blocked in a call and handed it to another M")
    @StackTrace(false)
    static final class Handoff extends Event {
        @Label("P") int p;
        @Label("M") int m;
        @Label("Reason") @Description("syscall (Go.blocking), jdk-blocked, native") String reason;
    }

    @Name("io.goloom.MStart")
    @Category({"goloom", "Scheduler"})
    @Label("M Start")
    @Description("An M (carrier thread) was given a P to run: a new thread, or an idle one woken")
    @Enabled(false)
    @StackTrace(false)
    static final class MStart extends Event {
        @Label("M") int m;
        @Label("P") int p;
        @Label("New Thread") boolean created;
        @Label("Spinning") boolean spinning;
    }

    @Name("io.goloom.MStop")
    @Category({"goloom", "Scheduler"})
    @Label("M Stop")
    @Description("An M found no work and parked on the idle list (stopm)")
    @Enabled(false)
    @StackTrace(false)
    static final class MStop extends Event {
        @Label("M") int m;
    }

    @Name("io.goloom.MSpin")
    @Category({"goloom", "Scheduler"})
    @Label("M Spinning")
    @Description("An M with a P started looking for work to steal")
    @Enabled(false)
    @StackTrace(false)
    static final class MSpin extends Event {
        @Label("M") int m;
        @Label("P") int p;
    }

    @Name("io.goloom.TimerFire")
    @Category({"goloom", "Scheduler"})
    @Label("Timer Fire")
    @Description("A P's expired timers were run; lateness is the earliest one's")
    @StackTrace(false)
    static final class TimerFire extends Event {
        @Label("P") @Description("The P whose timers fired") int p;
        @Label("Fired") int fired;
        @Label("Lateness") @Timespan(Timespan.NANOSECONDS) long lateness;

        @SettingDefinition
        @Name("above")
        @Label("Lateness Above")
        boolean above(Above1ms s) {
            return s.test(lateness);
        }
    }

    @Name("io.goloom.NetpollWake")
    @Category({"goloom", "Scheduler"})
    @Label("Netpoll Wake")
    @Description("A poll of the network poller readied goroutines")
    @Enabled(false)
    @StackTrace(false)
    static final class NetpollWake extends Event {
        @Label("Readied") @Description("Goroutines readied (descriptors ready)") int readied;
        @Label("By") @Description("m: an M's non-blocking poll, block: an M blocked in the poller, sysmon") String by;
    }

    @Name("io.goloom.VirtualThreadTask")
    @Category({"goloom", "Scheduler"})
    @Label("Virtual Thread Task")
    @Description("A JDK virtual thread's continuation ran on a goloom carrier (the event's duration)")
    @Threshold("20 ms")
    @StackTrace(false)
    static final class VirtualThreadTask extends Event {
        @Label("M") int m;
        @Label("P") int p;
    }

    // =====================================================================================
    // Emitters: called only behind the gate's bit, so they may allocate and read clocks

    static void start(G g, G parent, Runnable task, String runtime) {
        GoroutineStart e = new GoroutineStart();
        e.goid = g.id;
        e.parentGoid = parent != null ? parent.id : 0;
        e.taskClass = task.getClass();
        e.runtime = runtime;
        e.commit();
    }

    static void end(G g, P pp) {
        GoroutineEnd e = new GoroutineEnd();
        e.goid = g.id;
        e.p = pp != null ? pp.id : -1;
        e.commit();
    }

    /** At ready: the park that ends now (G.waitSince is precise while PARK is on, see Scheduler.coarseNanos). */
    static void readied(int f, G g, M m, P pp, boolean next, long now) {
        if ((f & PARK) != 0) {
            GoroutinePark e = new GoroutinePark();
            if (e.shouldCommit()) {
                e.goid = g.id;
                e.waitReason = g.waitReason().toString();
                e.parked = now - g.waitSince();
                e.commit();
            }
        }
        if ((f & READY) != 0) {
            GoroutineReady e = new GoroutineReady();
            if (e.shouldCommit()) {
                G by = m != null ? m.curg() : null;
                e.goid = g.id;
                e.byGoid = by != null ? by.id : 0;
                e.to = pp == null ? "global" : next ? "runnext" : "local";
                e.p = pp != null ? pp.id : -1;
                e.commit();
            }
        }
    }

    static void latency(G g, P pp, long nanos) {
        SchedLatency e = new SchedLatency();
        e.goid = g.id;
        e.p = pp.id;
        e.latency = nanos;
        e.commit(); // shouldCommit inside: threshold ("above") on the latency field
    }

    static void steal(P thief, P victim, int count) {
        Steal e = new Steal();
        e.thief = thief.id;
        e.victim = victim.id;
        e.count = count;
        e.commit();
    }

    static void preemptRequest(G g, P pp) {
        PreemptRequest e = new PreemptRequest();
        e.goid = g != null ? g.id : 0;
        e.p = pp != null ? pp.id : -1;
        e.commit();
    }

    static void preempted(G g, P pp) {
        Preempted e = new Preempted();
        long asked = pp.preemptAskedAt;
        e.goid = g != null && g.directTask == null ? g.id : 0;
        e.p = pp.id;
        e.latency = asked != 0 ? Math.max(0, System.nanoTime() - asked) : 0;
        e.commit();
    }

    static void handoff(P pp, M m, String reason) {
        Handoff e = new Handoff();
        e.p = pp.id;
        e.m = m != null ? m.id : -1;
        e.reason = reason;
        e.commit();
    }

    static void mstart(M m, P pp, boolean created, boolean spinning) {
        MStart e = new MStart();
        e.m = m.id;
        e.p = pp.id;
        e.created = created;
        e.spinning = spinning;
        e.commit();
    }

    static void mstop(M m) {
        MStop e = new MStop();
        e.m = m.id;
        e.commit();
    }

    static void mspin(M m) {
        MSpin e = new MSpin();
        e.m = m.id;
        P pp = m.p;
        e.p = pp != null ? pp.id : -1;
        e.commit();
    }

    static void timers(P pp, int fired, long lateness) {
        TimerFire e = new TimerFire();
        e.p = pp.id;
        e.fired = fired;
        e.lateness = Math.max(0, lateness);
        e.commit();
    }

    /** Counts a poll's list (linked through schedlink, before injectglist unlinks it). */
    static int count(G list) {
        int n = 0;
        for (G g = list; g != null; g = io.goloom.core.spi.SchedLinks.schedlink(g)) {
            n++;
        }
        return n;
    }

    static void netpoll(int readied, String by) {
        NetpollWake e = new NetpollWake();
        e.readied = readied;
        e.by = by;
        e.commit();
    }
}
