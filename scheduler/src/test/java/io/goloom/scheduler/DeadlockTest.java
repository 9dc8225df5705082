package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.Chan;
import io.goloom.core.WaitGroup;
import io.goloom.testkit.Await;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Go's "all goroutines are asleep - deadlock!" for GoRuntime.run. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadlockTest {

    @Test
    void aTwoGoroutineCycleIsReportedAndMainsWaitFails() {
        try (GoRuntime rt = GoRuntime.create(2)) {
            DeadlockException e = assertThrows(DeadlockException.class, () -> rt.run(() -> {
                Chan<Integer> a = new Chan<>();
                Chan<Integer> b = new Chan<>();
                WaitGroup wg = new WaitGroup();
                wg.add(2);
                rt.go("left", () -> {
                    a.receive(); // waits for right, which waits for left
                    b.send(1);
                    wg.done();
                });
                rt.go("right", () -> {
                    b.receive();
                    a.send(1);
                    wg.done();
                });
                wg.await();
            }));
            String report = e.getMessage();
            assertTrue(report.startsWith("all goroutines are asleep - deadlock!"), report);
            assertTrue(report.contains("\"left\" [chan receive"), report);
            assertTrue(report.contains("\"right\" [chan receive"), report);
            assertTrue(report.contains("\"main\" [sync.WaitGroup.Wait"), report);
            assertTrue(report.contains(DeadlockTest.class.getName()), "no stacks in:\n" + report);
            // the dump's format: how long each waited, goloom's frames folded, the creator
            assertTrue(java.util.regex.Pattern.compile("(?m)^goroutine \\d+ \"left\" \\[chan receive, \\S+( minutes)?\\]:$")
                    .matcher(report).find(), report);
            assertTrue(report.contains("...goloom internals ("), report);
            assertTrue(java.util.regex.Pattern.compile("(?m)^created by " + DeadlockTest.class.getName() + "\\S* in goroutine \\d+$")
                    .matcher(report).find(), report);
        }
    }

    @Test
    void sleepersAndBlockingCallsAreNotDeadlocks() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                Chan<Integer> c = new Chan<>();
                rt.go(() -> {
                    Go.sleep(Duration.ofMillis(50)); // a pending timer can wake it
                    c.send(1);
                });
                assertEquals(1, c.receive());
                rt.go(() -> {
                    try {
                        Thread.sleep(50); // a JDK blocking call may return
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                    c.send(2);
                });
                assertEquals(2, c.receive());
            });
        }
    }

    @Test
    void detectionCanBeTurnedOffForProgramsFedByPlainThreads() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(1).deadlockDetection(false).build()) {
            Chan<Integer> c = new Chan<>();
            Thread feeder = new Thread(() -> {
                // waits until main is parked on the channel, and well past sysmon's idle check
                Await.awaitCondition("main parked", 30_000, () -> rt.goroutines().stream()
                        .anyMatch(gi -> gi.waitReason().equals("chan receive")));
                Await.awaitCondition("sysmon asleep", 30_000, () -> rt.sched.sysmon.sleeping);
                c.send(7);
            });
            feeder.start();
            rt.run(() -> assertEquals(7, c.receive()));
            feeder.join(30_000);
        }
    }
}
