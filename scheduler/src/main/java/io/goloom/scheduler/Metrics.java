package io.goloom.scheduler;

import io.goloom.core.G;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of a runtime's metrics ({@link GoRuntime#metrics()}), named as Go's
 * {@code runtime/metrics} where Go has the metric, under {@code /goloom/} where it does not:
 * <pre>
 * /sched/gomaxprocs:threads                    GOMAXPROCS
 * /sched/goroutines:goroutines                 live goroutines
 * /sched/goroutines/runnable:goroutines        ... by state (Go 1.26's names)
 * /sched/goroutines/running:goroutines
 * /sched/goroutines/waiting:goroutines
 * /sched/goroutines-created:goroutines         goroutines created since the runtime started
 * /sched/threads:threads                       carrier threads (Ms) counted now
 * /sched/latencies:seconds                     (a histogram: {@link #schedLatencies()}; its sample count here)
 * /goloom/sched/preemptions/requested:events   sysmon asked a G (or a virtual thread) to yield
 * /goloom/sched/preemptions/honoured:events    a G or virtual thread yielded on such a request
 * /goloom/sched/steals:events                  work stolen from another P's run queue
 * /goloom/sched/handoffs/syscall:events        P handed off from an M in Go.blocking
 * /goloom/sched/handoffs/jdk-blocked:events    ... from an M blocked inside a JDK call
 * /goloom/sched/handoffs/native:events         ... from an M blocked in native code
 * /goloom/timers/fired:timers                  timers run
 * /goloom/netpoll/waits:events                 blocking waits of this runtime's Ms in the netpoller
 * </pre>
 * Counters are monotonic. They are kept per P (plain longs, each written by one thread at a
 * time: the P's owner, the holder of its timer lock) or by sysmon alone, and summed here
 * without stopping anything: a snapshot is racy by design, each counter exact to within the
 * events in flight while it was read.
 */
public final class Metrics {

    public static final String GOMAXPROCS = "/sched/gomaxprocs:threads";
    public static final String GOROUTINES = "/sched/goroutines:goroutines";
    public static final String GOROUTINES_RUNNABLE = "/sched/goroutines/runnable:goroutines";
    public static final String GOROUTINES_RUNNING = "/sched/goroutines/running:goroutines";
    public static final String GOROUTINES_WAITING = "/sched/goroutines/waiting:goroutines";
    public static final String GOROUTINES_CREATED = "/sched/goroutines-created:goroutines";
    public static final String THREADS = "/sched/threads:threads";
    public static final String LATENCIES = "/sched/latencies:seconds";
    public static final String PREEMPTIONS_REQUESTED = "/goloom/sched/preemptions/requested:events";
    public static final String PREEMPTIONS_HONOURED = "/goloom/sched/preemptions/honoured:events";
    public static final String STEALS = "/goloom/sched/steals:events";
    public static final String HANDOFFS_SYSCALL = "/goloom/sched/handoffs/syscall:events";
    public static final String HANDOFFS_JDK_BLOCKED = "/goloom/sched/handoffs/jdk-blocked:events";
    public static final String HANDOFFS_NATIVE = "/goloom/sched/handoffs/native:events";
    public static final String TIMERS_FIRED = "/goloom/timers/fired:timers";
    public static final String NETPOLL_WAITS = "/goloom/netpoll/waits:events";

    private final Map<String, Long> values;
    private final SchedLatency latencies;

    private Metrics(Map<String, Long> values, SchedLatency latencies) {
        this.values = Collections.unmodifiableMap(values);
        this.latencies = latencies;
    }

    static Metrics read(Scheduler sched) {
        long created = sched.createdOffP.get(), steals = 0, honoured = 0, fired = 0;
        for (P p : sched.allp) {
            created += p.goroutinesCreated;
            steals += p.steals;
            honoured += p.preemptsHonoured;
            fired += p.timersFired;
        }
        long runnable = 0, running = 0, waiting = 0, all = 0;
        for (G g : sched.allgs.snapshot()) {
            all++;
            switch (g.status()) {
                case G.RUNNING -> running++;
                case G.WAITING -> waiting++;
                default -> runnable++; // runnable, preempted, idle (created, not yet queued)
            }
        }
        SchedLatency lat = new SchedLatency(sched.schedLatencyCounts());
        Sysmon sm = sched.sysmon;
        Map<String, Long> v = new TreeMap<>();
        v.put(GOMAXPROCS, (long) sched.gomaxprocs);
        v.put(GOROUTINES, all);
        v.put(GOROUTINES_RUNNABLE, runnable);
        v.put(GOROUTINES_RUNNING, running);
        v.put(GOROUTINES_WAITING, waiting);
        v.put(GOROUTINES_CREATED, created);
        v.put(THREADS, (long) sched.threadCount());
        v.put(LATENCIES, lat.count());
        v.put(PREEMPTIONS_REQUESTED, sm.preemptRequests);
        v.put(PREEMPTIONS_HONOURED, honoured);
        v.put(STEALS, steals);
        v.put(HANDOFFS_SYSCALL, sm.handoffsSyscall);
        v.put(HANDOFFS_JDK_BLOCKED, sm.handoffsJdk);
        v.put(HANDOFFS_NATIVE, sm.handoffsNative);
        v.put(TIMERS_FIRED, fired);
        v.put(NETPOLL_WAITS, sched.sleepers.pollWaits);
        return new Metrics(v, lat);
    }

    /**
     * One metric's value.
     *
     * @throws IllegalArgumentException for a name this snapshot does not have (the message lists them)
     */
    public long get(String name) {
        Long v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no goloom metric named '" + name + "'; known: " + values.keySet());
        }
        return v;
    }

    /** Every metric by name (sorted; {@link #LATENCIES} holds the histogram's sample count). */
    public Map<String, Long> values() {
        return values;
    }

    /** {@code /sched/latencies:seconds}: the sampled ready-to-running latency histogram. */
    public SchedLatency schedLatencies() {
        return latencies;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        return sb.append(LATENCIES).append(' ').append(latencies).append('\n').toString();
    }
}
