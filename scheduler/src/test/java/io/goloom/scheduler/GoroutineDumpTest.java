package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.testkit.goroutines.AwaitParked;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The goroutine dump (issue 14): taken from outside a child JVM running a stuck program, by the
 * code {@code ./goloom dump} runs ({@link DumpTool}), and in-process.
 */
class GoroutineDumpTest {

    private static final String DURATION = "(\\d+µs|\\d+ms|\\d+\\.\\ds|\\d+ minutes)";

    /** The header of goroutine {@code name} and the lines of its section, or fails. */
    private static List<String> section(String dump, String name) {
        String[] lines = dump.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("goroutine ") && lines[i].contains(" \"" + name + "\" [")) {
                int j = i + 1;
                while (j < lines.length && !lines[j].isEmpty()) {
                    j++;
                }
                return List.of(lines).subList(i, j);
            }
        }
        throw new AssertionError("no goroutine \"" + name + "\" in the dump:\n" + dump);
    }

    private static void assertWaiting(String dump, String name, String reason, String userMethod) {
        List<String> s = section(dump, name);
        assertTrue(Pattern.matches("goroutine \\d+ \"" + name + "\" \\[" + Pattern.quote(reason) + ", " + DURATION + "\\]:", s.get(0)),
                "header of " + name + ": " + s.get(0) + "\n" + dump);
        assertTrue(s.size() > 1 && s.get(1).startsWith("\tio.goloom.testapp.StuckProgram." + userMethod + "("),
                "the first frame of " + name + " is the user's " + userMethod + ":\n" + String.join("\n", s));
        assertTrue(s.stream().anyMatch(l -> l.matches("\t\\.\\.\\.goloom internals \\(\\d+ frames\\)\\.\\.\\.")),
                "goloom's frames folded:\n" + String.join("\n", s));
        assertTrue(s.get(s.size() - 1).startsWith("created by io.goloom.testapp.StuckProgram"), String.join("\n", s));
    }

    /** In one jar holding every module, goloom's classes share one code source (the Dump class failed to initialize). */
    @Test
    void goloomFromOneJarHasOneOwnSource() {
        String jar = "file:/app/goloom-all.jar";
        assertEquals(java.util.Set.of(jar), Dump.ownSources(jar, jar, jar, jar));
    }

    /**
     * The flight recorder's trigger from outside ({@code ./goloom dump <pid> --trace-start},
     * {@code --trace FILE}): off at first (says how to start it), started over JMX, then a
     * snapshot written by the target that converts into a trace with the runtime's P tracks.
     */
    @Test
    void theFlightRecorderIsStartedAndSnapshotFromOutside(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (LiveChildJvm child = new LiveChildJvm(List.of(), "io.goloom.testapp.StuckProgram", "stuck")) {
            child.await(child.stdout, "READY");
            long pid = child.process.pid();
            java.nio.file.Path file = dir.resolve("stuck.trace");
            String off = DumpTool.trace(pid, file.toString());
            assertTrue(off.startsWith("goloom dump: the flight recorder of runtime stuck is off: start it with ./goloom dump "
                    + pid + " --trace-start"), off);
            assertTrue(java.nio.file.Files.notExists(file));
            assertEquals("goloom dump: started the flight recorder of runtime stuck\n", DumpTool.traceStart(pid, 4096));
            assertEquals("goloom dump: the flight recorder of runtime stuck was running already\n", DumpTool.traceStart(pid, 4096));
            assertEquals("goloom dump: wrote " + file + " (runtime stuck): ./goloom trace " + file + "\n", DumpTool.trace(pid, file.toString()));
            java.io.StringWriter json = new java.io.StringWriter();
            try (var in = java.nio.file.Files.newInputStream(file)) {
                TraceTool.convert(in, json);
            }
            assertTrue(json.toString().contains("\"Ps (runtime stuck)\"") && json.toString().contains("\"P1\""), json.toString());
        }
    }

    /**
     * A target whose deserialization filter rejects JMX's classes (Helidon installs such a filter
     * by default) gets a message naming the filter that lets the dump in, and that filter works.
     */
    @Test
    void aTargetsSerialFilterIsNamedWithTheFix() throws Exception {
        try (LiveChildJvm child = new LiveChildJvm(List.of("-Djdk.serialFilter=!*"), "io.goloom.testapp.StuckProgram", "stuck")) {
            child.await(child.stdout, "READY");
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> DumpTool.dump(child.process.pid(), false));
            assertTrue(e.getMessage().contains("deserialization filter") && e.getMessage().contains(DumpTool.JMX_SERIAL_FILTER),
                    e.getMessage());
        }
        try (LiveChildJvm child = new LiveChildJvm(List.of("-Djdk.serialFilter=" + DumpTool.JMX_SERIAL_FILTER),
                "io.goloom.testapp.StuckProgram", "stuck")) {
            child.await(child.stdout, "READY");
            String dump = DumpTool.dump(child.process.pid(), false);
            assertTrue(dump.startsWith("goloom runtime stuck: gomaxprocs=2 "), dump);
        }
    }

    @Test
    void dumpFromOutsideShowsEveryStuckGoroutine() throws Exception {
        try (LiveChildJvm child = new LiveChildJvm(List.of(), "io.goloom.testapp.StuckProgram", "stuck")) {
            Matcher ready = Pattern.compile("READY parent=(\\d+) child=(\\d+)").matcher(child.await(child.stdout, "READY"));
            assertTrue(ready.matches());
            long pid = child.process.pid();
            String dump = DumpTool.dump(pid, false);
            assertTrue(dump.startsWith("goloom runtime stuck: gomaxprocs=2 "), dump);
            assertWaiting(dump, "receiver", "chan receive", "receiveForever");
            assertWaiting(dump, "selector", "select", "selectForever");
            assertWaiting(dump, "sleeper", "sleep", "sleepForever");
            assertWaiting(dump, "parent", "chan receive", "receiveForever");
            // the child: created by a goroutine, not by a plain thread
            Matcher childHeader = Pattern.compile("(?m)^goroutine " + ready.group(2) + " \\[chan receive, " + DURATION + "\\]:$").matcher(dump);
            assertTrue(childHeader.find(), dump);
            assertTrue(Pattern.compile("(?m)^created by io\\.goloom\\.testapp\\.StuckProgram\\S* in goroutine " + ready.group(1) + "$")
                    .matcher(dump).find(), "the child names its creator, goroutine " + ready.group(1) + ":\n" + dump);
            // the hog: running, its stack from its carrier, user frame first, and its P running
            // it. Between two runs for an instant after each preemption (sysmon asks every
            // 10 ms): then its stack is not walked (any M may mount it), or the Ps, printed
            // after the goroutines, catch its M between runs (a P running no G), and we take the
            // dump again.
            Pattern hogsP = Pattern.compile("(?m)^P\\d running G\\d+ on stuck-m\\d+, runq \\d+");
            List<String> hog = section(dump, "hog");
            for (int i = 0; i < 100 && (hog.get(1).startsWith("\t(stack not taken: ") || !hogsP.matcher(dump).find()); i++) {
                assertTrue(hog.get(0).matches("goroutine \\d+ \"hog\" \\[(running|runnable|preempted)\\]:"), String.join("\n", hog));
                dump = DumpTool.dump(pid, false);
                hog = section(dump, "hog");
            }
            assertTrue(hog.get(0).matches("goroutine \\d+ \"hog\" \\[running\\]:"), String.join("\n", hog));
            assertTrue(hog.size() > 1 && hog.get(1).startsWith("\tio.goloom.testapp.StuckProgram.hog("), String.join("\n", hog));
            // Ps and Ms
            assertTrue(Pattern.compile("(?m)^P0 (idle|running|syscall|retaking)( G\\d+)?( on \\S+)?, runq \\d+, schedtick \\d+$").matcher(dump).find(), dump);
            assertTrue(Pattern.compile("(?m)^P1 ").matcher(dump).find(), dump);
            assertTrue(hogsP.matcher(dump).find(), "the hog's P:\n" + dump);
            assertTrue(Pattern.compile("(?m)^M\\d+ stuck-m\\d+: ").matcher(dump).find(), dump);
            // JSON, for tools
            String json = DumpTool.dump(pid, true);
            assertTrue(json.startsWith("[{\"runtime\":\"stuck\",\"gomaxprocs\":2,"), json);
            assertTrue(json.contains("\"name\":\"receiver\",\"state\":\"waiting\",\"waitReason\":\"chan receive\",\"waitNanos\":"), json);
            assertTrue(json.contains("\"createdBy\":{\"goroutine\":" + ready.group(1) + ","), json);
        }
    }

    /**
     * Dumps taken while goroutines park and are readied all the time (channel ping-pong, with
     * commits that abort when the partner came first) and yield: every parked stack is walked
     * with the G held parked (WAITING|SCAN), so no waker mounts it mid-walk, and no ready fails
     * on the scan bit. Walking the continuations without that hold (what goroutines() did)
     * races with their mounting, which can crash the JVM in the stack walker.
     */
    @Test
    void dumpsWhileGoroutinesParkAndWakeAllTheTime() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Throwable> panic = new java.util.concurrent.atomic.AtomicReference<>();
        try (GoRuntime rt = GoRuntime.builder().name("churn").procs(2).panicHandler((g, t) -> panic.compareAndSet(null, t)).build()) {
            int pairs = 8, rounds = 20_000 * io.goloom.testkit.Stress.FACTOR;
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(pairs * 2);
            for (int p = 0; p < pairs; p++) {
                Chan<Integer> ping = new Chan<>(), pong = new Chan<>();
                rt.go("ping" + p, () -> {
                    for (int i = 0; i < rounds; i++) {
                        ping.send(i);
                        pong.receive();
                        if ((i & 63) == 0) {
                            Go.yield();
                        }
                    }
                    done.countDown();
                });
                rt.go("pong" + p, () -> {
                    for (int i = 0; i < rounds; i++) {
                        ping.receive();
                        pong.send(i);
                    }
                    done.countDown();
                });
            }
            long dumps = 0, parkedStacks = 0;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (done.getCount() > 0 && panic.get() == null && System.nanoTime() < deadline) {
                String d = rt.dump();
                dumps++;
                parkedStacks += d.split("io.goloom.scheduler.GoroutineDumpTest.lambda", -1).length - 1;
                for (GoroutineInfo gi : rt.goroutines()) {
                    assertNotNull(gi.stack());
                }
            }
            assertTrue(done.await(60, java.util.concurrent.TimeUnit.SECONDS));
            assertNull(panic.get(), () -> "a goroutine failed: " + panic.get());
            assertTrue(dumps > 0 && parkedStacks > 0, "dumps " + dumps + ", stacks seen " + parkedStacks);
        }
    }

    @Test
    void mxBeanLivesAsLongAsTheRuntime() throws Exception {
        GoRuntime rt = GoRuntime.builder().name("dumpbean").procs(1).build();
        javax.management.ObjectName on = rt.mxBeanName();
        try {
            assertNotNull(on);
            assertEquals("io.goloom:type=Runtime,name=dumpbean", on.toString());
            var server = ManagementFactory.getPlatformMBeanServer();
            assertEquals(1, server.getAttribute(on, "Parallelism"));
            Chan<Integer> c = new Chan<>();
            G g = rt.go("waiter", c::receive);
            AwaitParked.awaitParkedFromThread(g, WaitReason.CHAN_RECEIVE, Duration.ofSeconds(10));
            String d = (String) server.invoke(on, "dump", null, null);
            assertTrue(Pattern.compile("(?m)^goroutine " + g.id + " \"waiter\" \\[chan receive, " + DURATION + "\\]:$").matcher(d).find(), d);
            assertTrue(d.contains("\ncreated by "), d);
            c.close();
        } finally {
            rt.close();
        }
        assertNull(rt.mxBeanName());
        assertTrue(ManagementFactory.getPlatformMBeanServer().queryNames(on, null).isEmpty(), "unregistered on close");
    }
}
