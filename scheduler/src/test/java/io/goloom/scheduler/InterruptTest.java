package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.Chan;
import io.goloom.testkit.Await;
import io.goloom.testkit.ChildJvm;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #19 item 5: a native goroutine's {@code Thread.currentThread()} is its carrier, so
 * {@code interrupt()} there (the catch-and-reassert idiom) sets the carrier's flag. It must
 * end with the goroutine's run (never reach the next goroutine on that carrier), and no idle
 * runtime thread may spin on a set flag (LockSupport.park returns at once while it is set).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterruptTest {

    /**
     * The goroutine that interrupts its carrier ends; the next one on the same carrier (one
     * P, one M) must see a clear flag and sleep normally. Without the clearing in execute,
     * Thread.sleep throws InterruptedException.
     */
    @Test
    void anInterruptSetByAGoroutineDoesNotReachTheNextGoroutineOnItsCarrier() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(1).deadlockDetection(false).build()) {
            AtomicReference<String> failure = new AtomicReference<>();
            rt.run(() -> {
                Chan<M> done = new Chan<>(1); // the sender ends without parking
                Go.go(() -> {
                    try {
                        throw new InterruptedException("simulated: a library call was interrupted");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt(); // the standard idiom: hits the carrier
                    }
                    done.send(rt.sched.currentM());
                });
                M interrupted = done.receive(); // parks main: the goroutine above runs on this P's M
                M me = rt.sched.currentM();
                if (me != interrupted) {
                    failure.set("test setup: main resumed on m" + me.id + ", not on the interrupted m" + interrupted.id);
                    return;
                }
                if (Thread.currentThread().isInterrupted()) {
                    failure.set("the next goroutine on the carrier starts interrupted");
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    failure.set("an unrelated later goroutine got InterruptedException from Thread.sleep");
                }
            });
            assertNull(failure.get());
        }
    }

    /**
     * After the interrupting goroutine ends the runtime is idle: its M must park (no CPU), not
     * loop on a park that returns at once. Then an interrupt aimed at the idle carrier (and at
     * sysmon) from outside must not spin them either.
     */
    @Test
    void anInterruptedCarrierParksQuietlyWhenTheRuntimeIsIdle() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(1).deadlockDetection(false).build()) {
            AtomicReference<M> carrier = new AtomicReference<>();
            rt.run(() -> {
                carrier.set(rt.sched.currentM());
                Thread.currentThread().interrupt();
            });
            M m = carrier.get();
            assertParkedQuietly(m);
            m.interrupt(); // from outside, while it sleeps in notesleep
            assertParkedQuietly(m);
            Sysmon sm = rt.sched.sysmon;
            Await.awaitCondition("sysmon in deep sleep", 30_000, () -> sm.sleeping);
            sm.interrupt();
            assertParkedQuietly(sm);
            // and the runtime still works
            CountDownLatch ran = new CountDownLatch(10);
            for (int i = 0; i < 10; i++) {
                rt.go(ran::countDown);
            }
            assertTrue(ran.await(30, TimeUnit.SECONDS));
        }
    }

    /** The M that sleeps until the earliest timer (notesleepUntil) ignores an interrupt too. */
    @Test
    void anInterruptedTimerSleeperKeepsSleepingQuietly() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(1).deadlockDetection(false).build()) {
            CountDownLatch fired = new CountDownLatch(1);
            rt.run(() -> Go.afterFunc(Duration.ofHours(1), fired::countDown));
            M[] sleeper = new M[1];
            Await.awaitCondition("an M asleep until the timer", 30_000, () -> {
                for (M m : rt.sched.allm()) {
                    if (m.getState() == Thread.State.TIMED_WAITING) {
                        sleeper[0] = m;
                        return true;
                    }
                }
                return false;
            });
            sleeper[0].interrupt();
            assertParkedQuietly(sleeper[0]);
            assertEquals(1, fired.getCount());
        }
    }

    /** What the qsort comparator below does once: receive from this channel (a pinned park). */
    private static volatile Chan<Integer> pinnedChan;
    private static final AtomicBoolean PINNED_PARK_DONE = new AtomicBoolean();
    private static final AtomicReference<Throwable> UPCALL_FAILURE = new AtomicReference<>();

    /** qsort's comparator, called from native code: the goroutine cannot unmount here. */
    static int compareWithAPinnedPark(MemorySegment a, MemorySegment b) {
        try { // nothing may escape an upcall (the JVM would exit)
            if (PINNED_PARK_DONE.compareAndSet(false, true)) {
                pinnedChan.receive();
            }
        } catch (Throwable t) {
            UPCALL_FAILURE.set(t);
        }
        return 0;
    }

    /**
     * A goroutine with a native frame on its stack (an FFM upcall) parks its carrier itself
     * (G.parkPinned). If it set the carrier's interrupt flag first, that park must not return
     * at once forever: the carrier waits with the flag clear, and the flag is back once the
     * goroutine is woken (a park is not interruptible, as Waiter's thread waits).
     */
    @Test
    void anInterruptedGoroutineParkedWithANativeFrameOnItsStackWaitsWithoutSpinning() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle qsort = linker.downcallHandle(linker.defaultLookup().find("qsort").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        MethodHandle cmp = MethodHandles.lookup().findStatic(InterruptTest.class, "compareWithAPinnedPark",
                MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class));
        PINNED_PARK_DONE.set(false);
        UPCALL_FAILURE.set(null);
        pinnedChan = new Chan<>(0);
        try (Arena arena = Arena.ofShared(); GoRuntime rt = GoRuntime.builder().procs(2).deadlockDetection(false).build()) {
            MemorySegment stub = linker.upcallStub(cmp,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), arena);
            MemorySegment ints = arena.allocate(ValueLayout.JAVA_INT, 2);
            AtomicReference<M> carrier = new AtomicReference<>();
            AtomicBoolean interruptedAfter = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(1);
            rt.go(() -> {
                carrier.set(rt.sched.currentM());
                Thread.currentThread().interrupt();
                try {
                    qsort.invokeExact(ints, 2L, 4L, stub);
                } catch (Throwable t) {
                    UPCALL_FAILURE.set(t);
                }
                interruptedAfter.set(Thread.currentThread().isInterrupted());
                Thread.interrupted();
                done.countDown();
            });
            Await.awaitCondition("the goroutine to start", 30_000, () -> carrier.get() != null);
            M m = carrier.get();
            Await.awaitCondition("the pinned park to wait with the carrier's flag clear", 30_000,
                    () -> PINNED_PARK_DONE.get() && m.getState() == Thread.State.WAITING && !m.isInterrupted());
            rt.go(() -> pinnedChan.send(1));
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertNull(UPCALL_FAILURE.get());
            assertTrue(interruptedAfter.get(), "the goroutine's own interrupt status was lost across the pinned park");
        }
    }

    /**
     * The M blocked in the network poller: on the Selector backend a set interrupt makes
     * {@code select} return at once, so an interrupted idle carrier looped through
     * findRunnable back into the poll (measured 40% of a core). The backend is fixed per JVM:
     * this runs {@link SelectorPollerMain} in a child JVM with {@code -Dgoloom.netpoll=selector}.
     */
    @Test
    void anInterruptedCarrierBlockedInTheSelectorPollerDoesNotSpin() throws Exception {
        ChildJvm.Result r = ChildJvm.run(SelectorPollerMain.class, List.of("-Dgoloom.netpoll=selector"), List.of(), 60);
        assertTrue(r.finished(), r.output());
        assertEquals(0, r.exitValue(), r.output());
    }

    /** The child JVM of the test above: exits 0 if the interrupted poller M settles, 1 with the reason. */
    static final class SelectorPollerMain {
        public static void main(String[] args) throws Exception {
            String failure = null;
            try (GoRuntime rt = GoRuntime.builder().procs(1).name("sel").deadlockDetection(false).build();
                 io.goloom.netpoll.Listener ln = io.goloom.netpoll.Net.listen("127.0.0.1", 0)) {
                rt.go(() -> { // a goroutine waiting on the poller: the idle M blocks in it
                    try {
                        ln.accept();
                    } catch (java.io.IOException e) {
                        // closed at the end
                    }
                });
                M m = rt.sched.allm().get(0);
                Await.awaitCondition("the idle M in the selector", 30_000, () -> inSelectorPoll(m));
                m.interrupt();
                Await.awaitCondition("the M back in the selector with its interrupt status clear", 30_000,
                        () -> !m.isInterrupted() && inSelectorPoll(m));
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                long c0 = mx.getThreadCpuTime(m.threadId());
                new CountDownLatch(1).await(100, TimeUnit.MILLISECONDS); // a measuring window, not a synchronisation
                long usedMs = (mx.getThreadCpuTime(m.threadId()) - c0) / 1_000_000;
                if (usedMs >= 30) {
                    failure = m.getName() + " used " + usedMs + " ms of CPU in a 100 ms window while idle";
                }
            } catch (Throwable t) {
                failure = String.valueOf(t);
            }
            System.out.println(failure == null ? "OK" : "FAILED: " + failure);
            System.exit(failure == null ? 0 : 1);
        }

        static boolean inSelectorPoll(Thread t) {
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().endsWith("SelectorPoller") && e.getMethodName().equals("poll")) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * t parks with its interrupt status clear (an interrupted park loop never gets there: its
     * flag stays set while park returns at once), and uses next to no CPU over a short window.
     */
    static void assertParkedQuietly(Thread t) throws InterruptedException {
        Await.awaitCondition(t.getName() + " parked with its interrupt status clear", 30_000, () -> {
            Thread.State s = t.getState();
            return !t.isInterrupted() && (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING);
        });
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long c0 = mx.getThreadCpuTime(t.threadId());
        new CountDownLatch(1).await(100, TimeUnit.MILLISECONDS); // a measuring window, not a synchronisation
        long usedMs = (mx.getThreadCpuTime(t.threadId()) - c0) / 1_000_000;
        assertTrue(usedMs < 30, t.getName() + " used " + usedMs + " ms of CPU in a 100 ms window while idle");
        assertFalse(t.isInterrupted(), t.getName() + " was interrupted again while idle");
    }
}
