package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.netpoll.Conn;
import io.goloom.netpoll.Listener;
import io.goloom.netpoll.Net;
import io.goloom.testkit.goroutines.AwaitParked;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * goloom's JFR events (issue 14): a short run recorded with every io.goloom event on and no
 * threshold, read back with RecordingFile; each event type is present with plausible fields,
 * each forced by the workload that causes it (as SysmonTest and MetricsTest force the counters).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GoEventsTest {

    static final List<String> NAMES = List.of("GoroutineStart", "GoroutineEnd", "GoroutinePark", "GoroutineReady",
            "SchedLatency", "Steal", "PreemptRequest", "Preempted", "Handoff", "MStart", "MStop", "MSpin",
            "TimerFire", "NetpollWake", "VirtualThreadTask");

    @Test
    void aRecordedRunHasEveryEventWithPlausibleFields(@TempDir Path dir) throws Exception {
        GoEvents.init();
        long parkedChannel;
        long measuredPark;
        try (Recording rec = new Recording()) {
            for (String n : NAMES) {
                rec.enable("io.goloom." + n).withThreshold(Duration.ZERO).with("above", "0 ns");
            }
            rec.start();
            assertTrue((GoEvents.flags & GoEvents.PARK) != 0, "the gate did not open when the recording started");
            try (GoRuntime rt = GoRuntime.create(2)) {
                // A park of a known length: the test sees the receiver parked, waits a measured
                // interval (a busy wait on the clock: the length, not a synchronisation), sends.
                Chan<Integer> c = new Chan<>();
                CountDownLatch got = new CountDownLatch(1);
                G receiver = rt.go(() -> {
                    c.receive();
                    got.countDown();
                });
                AwaitParked.awaitParkedFromThread(receiver, WaitReason.CHAN_RECEIVE, Duration.ofSeconds(10));
                long seen = System.nanoTime();
                while (System.nanoTime() - seen < 30_000_000L) {
                    Thread.onSpinWait();
                }
                measuredPark = System.nanoTime() - seen;
                c.send(1);
                assertTrue(got.await(30, TimeUnit.SECONDS));
                parkedChannel = receiver.id;

                MetricsTest.forceSteals(rt);
                CountDownLatch slept = new CountDownLatch(1);
                rt.go(() -> {
                    Go.sleep(Duration.ofMillis(1));
                    slept.countDown();
                });
                assertTrue(slept.await(30, TimeUnit.SECONDS));
                netpollRead(rt);
                Thread vt = rt.virtualThreads().start(() -> { });
                vt.join();
            }
            try (GoRuntime one = GoRuntime.create(1)) {
                hogPreempted(one);
                goBlockingHandsThePOff(one);
            }
            rec.stop();
            Path file = dir.resolve("run.jfr");
            rec.dump(file);
            assertFalse((GoEvents.flags & ~GoEvents.TRACE) != 0, "the gate stayed open after the recording stopped");
            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().startsWith("io.goloom.")).toList();
            Map<String, List<RecordedEvent>> by = events.stream()
                    .collect(Collectors.groupingBy(e -> e.getEventType().getName().substring("io.goloom.".length())));
            for (String n : NAMES) {
                assertTrue(by.containsKey(n), "no io.goloom." + n + " event; got " + by.keySet());
            }
            for (RecordedEvent e : by.get("GoroutinePark")) {
                if (e.getLong("goid") == parkedChannel) {
                    assertEquals("chan receive", e.getString("waitReason"));
                    long parked = e.getDuration("parked").toNanos();
                    assertTrue(parked >= measuredPark, "park of " + parked + " ns does not cover the measured " + measuredPark + " ns");
                    assertTrue(parked < measuredPark + 10_000_000_000L, "park of " + parked + " ns");
                }
            }
            assertTrue(by.get("GoroutinePark").stream().anyMatch(e -> e.getLong("goid") == parkedChannel), "no park event of the receiver");
            assertTrue(by.get("GoroutineReady").stream().anyMatch(e -> e.getLong("goid") == parkedChannel
                    && e.getString("to").equals("global") && e.getInt("p") == -1), "the test thread's send readies to the global queue");
            for (RecordedEvent e : by.get("Steal")) {
                int thief = e.getInt("thief"), victim = e.getInt("victim");
                assertTrue(victim >= 0 && victim < 2 && thief >= 0 && thief < 2 && victim != thief, e.toString());
                assertTrue(e.getInt("count") >= 1, e.toString());
            }
            assertTrue(by.get("Handoff").stream().anyMatch(e -> e.getString("reason").equals("syscall") && e.getInt("p") == 0),
                    "no syscall hand-off of P0: " + by.get("Handoff"));
            for (RecordedEvent e : by.get("TimerFire")) {
                assertTrue(e.getDuration("lateness").toNanos() >= 0 && e.getInt("fired") >= 1, e.toString());
            }
            for (RecordedEvent e : by.get("Preempted")) {
                assertTrue(e.getDuration("latency").toNanos() >= 0, e.toString());
            }
            for (RecordedEvent e : by.get("SchedLatency")) {
                assertTrue(e.getDuration("latency").toNanos() >= 0, e.toString());
            }
            assertTrue(by.get("GoroutineStart").stream().anyMatch(e -> e.getLong("goid") == parkedChannel
                    && e.getLong("parentGoid") == 0), "the receiver's start event");
            assertTrue(by.get("GoroutineEnd").stream().anyMatch(e -> e.getLong("goid") == parkedChannel));
            assertTrue(by.get("NetpollWake").stream().allMatch(e -> e.getInt("readied") >= 1));
        }
    }

    /** The JDK's default settings: the latency-type and rare events on, the per-operation ones off. */
    @Test
    void defaultSettingsEnableOnlyTheQuietEvents() throws Exception {
        GoEvents.init();
        try (GoRuntime rt = GoRuntime.create(1); Recording rec = new Recording(jdk.jfr.Configuration.getConfiguration("default"))) {
            rec.start();
            int f = GoEvents.flags;
            for (int bit : new int[] {GoEvents.START, GoEvents.END, GoEvents.PARK, GoEvents.READY, GoEvents.STEAL,
                    GoEvents.MSTART, GoEvents.MSTOP, GoEvents.MSPIN, GoEvents.NETPOLL}) {
                assertEquals(0, f & bit, "chatty event on by default: bit " + Integer.toBinaryString(bit));
            }
            for (int bit : new int[] {GoEvents.LATENCY, GoEvents.PREEMPT_ASK, GoEvents.PREEMPT, GoEvents.HANDOFF,
                    GoEvents.TIMER, GoEvents.VTASK}) {
                assertEquals(bit, f & bit, "quiet event off by default: bit " + Integer.toBinaryString(bit));
            }
            EventType lat = FlightRecorder.getFlightRecorder().getEventTypes().stream()
                    .filter(t -> t.getName().equals("io.goloom.SchedLatency")).findFirst().orElseThrow();
            assertTrue(lat.getSettingDescriptors().stream().anyMatch(s -> s.getName().equals("above") && s.getDefaultValue().equals("1 ms")),
                    lat.getSettingDescriptors().toString());
            rec.stop();
        }
        assertEquals(0, GoEvents.flags & ~GoEvents.TRACE);
    }

    static void netpollRead(GoRuntime rt) throws Exception {
        try (Listener ln = Net.listen("127.0.0.1", 0)) {
            CountDownLatch read = new CountDownLatch(1);
            G reader = rt.go(() -> {
                try (Conn conn = ln.accept()) {
                    conn.read(new byte[1]); // parks in the poller until the test writes
                    read.countDown();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ln.address().getPort())) {
                AwaitParked.awaitParkedFromThread(reader, WaitReason.IO_WAIT, Duration.ofSeconds(10));
                s.getOutputStream().write(7);
                s.getOutputStream().flush();
                assertTrue(read.await(30, TimeUnit.SECONDS));
            }
        }
    }

    /** A lone goroutine spins at yield points until sysmon has preempted it once (sysmon asks after 10 ms on the P). */
    static void hogPreempted(GoRuntime rt) throws InterruptedException {
        CountDownLatch preempted = new CountDownLatch(1);
        rt.go(() -> {
            for (long i = 1; ; i++) {
                Go.checkpoint(); // the only yield point
                if ((i & 1023) == 0 && rt.metrics().get(Metrics.PREEMPTIONS_HONOURED) > 0) {
                    break;
                }
            }
            preempted.countDown();
        });
        assertTrue(preempted.await(30, TimeUnit.SECONDS), "the hog was never preempted");
    }

    /**
     * On the only P: one goroutine blocks in Go.blocking until a goroutine queued behind it runs,
     * which it can only do on the P sysmon hands off (reason syscall).
     */
    static void goBlockingHandsThePOff(GoRuntime rt) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(2);
        rt.go(() -> {
            try {
                Go.blocking(() -> {
                    release.await();
                    return null;
                });
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
            done.countDown();
        });
        rt.go(() -> {
            release.countDown();
            done.countDown();
        });
        assertTrue(done.await(30, TimeUnit.SECONDS), "the P was not handed off");
    }
}
