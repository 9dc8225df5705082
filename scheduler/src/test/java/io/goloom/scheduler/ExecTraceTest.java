package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.testkit.goroutines.AwaitParked;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flight recorder (issue 14): a run with the recorder on, a snapshot written with
 * trace().writeTo, converted by TraceTool (what {@code ./goloom trace} runs); the JSON's
 * structure is checked line by line (one trace event per line): every P track named, slices
 * well formed and never overlapping on a P, and a goroutine that parked on a channel shows a
 * stop "chan receive" followed by a later run.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExecTraceTest {

    static final Pattern EVENT = Pattern.compile(
            "\\{\"name\":\"([^\"]*)\",\"ph\":\"(\\w)\",(?:\"s\":\"t\",)?\"pid\":(\\d+)(?:,\"tid\":(\\d+))?(?:,\"ts\":(-?\\d+)\\.(\\d{3}))?(?:,\"dur\":(\\d+)\\.(\\d{3}))?,\"args\":\\{(.*)\\}\\},?");

    record Ev(String name, String ph, int pid, int tid, long ts, long dur, String args) {
        long end() {
            return ts + dur;
        }
    }

    static List<Ev> parse(String json) {
        assertTrue(json.startsWith("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"), json.substring(0, Math.min(200, json.length())));
        assertTrue(json.endsWith("\n]}\n"));
        String[] lines = json.split("\n");
        List<Ev> out = new ArrayList<>();
        for (int i = 1; i < lines.length - 1; i++) {
            Matcher m = EVENT.matcher(lines[i]);
            assertTrue(m.matches(), "not a trace event line: " + lines[i]);
            out.add(new Ev(m.group(1), m.group(2), Integer.parseInt(m.group(3)),
                    m.group(4) != null ? Integer.parseInt(m.group(4)) : -1,
                    m.group(5) != null ? Long.parseLong(m.group(5)) * 1000 + Long.parseLong(m.group(6)) : 0,
                    m.group(7) != null ? Long.parseLong(m.group(7)) * 1000 + Long.parseLong(m.group(8)) : 0,
                    m.group(9)));
        }
        return out;
    }

    @Test
    void aTracedRunConvertsToWellFormedPerfettoJson(@TempDir Path dir) throws Exception {
        int procs = 3;
        long receiverId;
        Path file = dir.resolve("run.trace");
        try (GoRuntime rt = GoRuntime.create(procs)) {
            rt.trace().start();
            Chan<Integer> c = new Chan<>();
            CountDownLatch got = new CountDownLatch(1);
            G receiver = rt.go(() -> {
                c.receive();
                Go.yield();
                got.countDown();
            });
            AwaitParked.awaitParkedFromThread(receiver, WaitReason.CHAN_RECEIVE, Duration.ofSeconds(10));
            c.send(1);
            assertTrue(got.await(30, TimeUnit.SECONDS));
            receiverId = receiver.id;
            // ping-pong pairs and a steal, so more than one P runs something
            CountDownLatch done = new CountDownLatch(4);
            for (int k = 0; k < 4; k++) {
                rt.go(() -> {
                    Chan<Integer> a = new Chan<>(), b = new Chan<>();
                    Go.go(() -> {
                        for (int i = 0; i < 200; i++) {
                            b.send(a.receive());
                        }
                    });
                    for (int i = 0; i < 200; i++) {
                        a.send(i);
                        b.receive();
                    }
                    done.countDown();
                });
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            MetricsTest.forceSteals(rt);
            rt.trace().writeTo(file);
        }
        StringWriter sw = new StringWriter();
        int n;
        try (var in = Files.newInputStream(file)) {
            n = TraceTool.convert(in, sw);
        }
        List<Ev> evs = parse(sw.toString());
        assertEquals(n, evs.size());
        for (int p = 0; p < procs; p++) {
            String track = "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" + p + ",\"args\":{\"name\":\"P" + p + "\"}}";
            assertTrue(sw.toString().contains(track), "no track for P" + p);
        }
        Map<Integer, List<Ev>> slicesByP = new HashMap<>();
        for (Ev e : evs) {
            if (e.ph.equals("X") && e.pid == 1) {
                assertTrue(e.tid >= 0 && e.tid < procs, e.toString());
                assertTrue(e.dur >= 0 && e.ts >= 0, e.toString());
                slicesByP.computeIfAbsent(e.tid, k -> new ArrayList<>()).add(e);
            }
        }
        // forceSteals ran goroutines on a second P (a thief); which P stays idle on a loaded
        // machine is the OS's choice, so not every P must have run.
        assertTrue(slicesByP.size() >= 2, "runs on fewer than 2 Ps: " + slicesByP.keySet());
        for (List<Ev> s : slicesByP.values()) {
            int p = s.get(0).tid;
            for (int i = 1; i < s.size(); i++) {
                assertTrue(s.get(i - 1).end() <= s.get(i).ts, "overlapping runs on P" + p + ": " + s.get(i - 1) + " then " + s.get(i));
            }
        }
        // the receiver: a run that stopped for "chan receive", then a later run
        String g = "G" + receiverId;
        List<Ev> runs = evs.stream().filter(e -> e.ph.equals("X") && e.pid == 1 && e.name.equals(g)).toList();
        Ev park = runs.stream().filter(e -> e.args.contains("\"stop\":\"chan receive\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no run of " + g + " stopped by chan receive: " + runs));
        assertTrue(runs.stream().anyMatch(e -> e.ts >= park.end()), "no run of " + g + " after its park: " + runs);
        assertTrue(evs.stream().anyMatch(e -> e.ph.equals("i") && e.name.equals("steal")), "no steal instant");
        assertTrue(evs.stream().anyMatch(e -> e.ph.equals("i") && e.name.startsWith("ready G")), "no ready instant");
        assertTrue(evs.stream().anyMatch(e -> e.ph.equals("X") && e.pid == 2), "no run on an M track");
        assertEquals(0, GoEvents.flags & GoEvents.TRACE, "the gate stayed open after the runtime closed");
    }

    /** Ps that setMaxProcs adds while the recorder runs get rings too: their runs are in the trace. */
    @Test
    void psAddedWhileTracingAreTraced(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("grown.trace");
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.trace().start();
            rt.setMaxProcs(3);
            MetricsTest.forceSteals(rt); // a thief P runs the stolen goroutines: two Ps run, one of them new
            rt.trace().writeTo(file);
        }
        StringWriter sw = new StringWriter();
        try (var in = Files.newInputStream(file)) {
            TraceTool.convert(in, sw);
        }
        assertTrue(parse(sw.toString()).stream().anyMatch(e -> e.ph.equals("X") && e.pid == 1 && e.tid >= 1),
                "no run on a P added after start");
    }

    /** The events of a P's ring, oldest first, as {time, kind, goid}. */
    static List<long[]> events(P pp) {
        long[] s = pp.trace.snapshot();
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < s.length; i += ExecTrace.EVENT_WORDS) {
            out.add(new long[] {s[i], s[i + 1] >>> 56, s[i + 2]});
        }
        return out;
    }

    /**
     * One clock read per switch: a run found on the fast path right after a stop carries the
     * stop's time; a run after the P went idle (the M slept in findRunnable's slow path) reads
     * the clock when it starts. The second is the interleaving a stale carried time would break:
     * goroutine A parks (stop at time S), its P idles, a plain thread sends at t0 > S; A's next
     * run must be stamped at or after t0, not at S (planted: no ExecTrace.slowPath call -> A's
     * run is stamped S).
     */
    @Test
    void aRunCarriesTheStopsTimeOnTheFastPathButNotAfterAnIdleP() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.trace().start();
            CountDownLatch yielded = new CountDownLatch(1);
            G y = rt.go(() -> {
                for (int i = 0; i < 100; i++) {
                    Go.yield();
                }
                yielded.countDown();
            });
            assertTrue(yielded.await(30, TimeUnit.SECONDS));
            List<long[]> ev = events(rt.sched.allp[0]);
            int carried = 0;
            for (int i = 1; i < ev.size(); i++) {
                if (ev.get(i)[1] == ExecTrace.RUN && ev.get(i - 1)[1] == ExecTrace.STOP && ev.get(i)[2] == y.id
                        && ev.get(i - 1)[2] == y.id && ev.get(i)[0] == ev.get(i - 1)[0]) {
                    carried++;
                }
            }
            assertTrue(carried >= 90, "a yield's run carries its stop's time: " + carried + " of 100");

            Chan<Integer> c = new Chan<>();
            CountDownLatch got = new CountDownLatch(1);
            G a = rt.go(() -> {
                c.receive();
                got.countDown();
            });
            AwaitParked.awaitParkedFromThread(a, WaitReason.CHAN_RECEIVE, Duration.ofSeconds(10));
            io.goloom.testkit.Await.awaitCondition("the P idle", 10_000, () -> rt.sched.npidle() == 1);
            long t0 = System.nanoTime();
            c.send(1); // from this plain thread: A is readied with no P running
            assertTrue(got.await(30, TimeUnit.SECONDS));
            ev = events(rt.sched.allp[0]);
            long stop = -1;
            long run = -1;
            for (long[] e : ev) { // A: run, stop (parked), run, stop (dead)
                if (e[2] == a.id && e[1] == ExecTrace.STOP && stop == -1) {
                    stop = e[0];
                } else if (e[2] == a.id && e[1] == ExecTrace.RUN && stop != -1 && run == -1) {
                    run = e[0];
                }
            }
            assertTrue(stop != -1 && run != -1, "A's park and its second run are in P0's ring");
            assertTrue(stop < t0, "A parked before the send");
            assertTrue(run >= t0, "A's run after the idle P is stamped when it ran (" + run + "), not at its stop ("
                    + stop + "); the send was at " + t0);
        }
    }

    @Test
    void theRingKeepsTheLastEventsInOrder() {
        ExecTrace.Ring r = new ExecTrace.Ring(16);
        for (int i = 0; i < 40; i++) {
            r.put(ExecTrace.READY, null, 0, i, 0);
        }
        long[] s = r.snapshot();
        assertEquals(15 * ExecTrace.EVENT_WORDS, s.length); // the slot the next write may tear is left out
        for (int i = 0; i < 15; i++) {
            assertEquals(25 + i, s[i * ExecTrace.EVENT_WORDS + 2]);
        }
    }

    @Test
    void writeToBeforeStartSaysHowToStart() {
        try (GoRuntime rt = GoRuntime.create(1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> rt.trace().writeTo(Path.of("x")));
            assertTrue(e.getMessage().contains("trace().start()"), e.getMessage());
        }
    }
}
