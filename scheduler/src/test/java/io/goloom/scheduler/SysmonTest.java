package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.testkit.Await;
import io.goloom.testkit.Stress;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sysmon: preemption requests honoured at yield points, and handoff of Ps whose M is stuck in
 * a blocking call (explicit Go.blocking, or a JDK call seen blocked). Every test here would
 * hang (and fail on its timeout) without the feature it covers; none asserts a duration.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SysmonTest {

    @Test
    void aCpuBoundGoroutineIsPreemptedAtItsCheckpointsOnOneP() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(2);
            rt.go(() -> {
                while (!stop.get()) {
                    Go.checkpoint(); // the only yield point: sysmon must request it
                }
                done.countDown();
            });
            // Queued behind the hog on the only P: it runs only if the hog is preempted.
            rt.go(() -> {
                stop.set(true);
                done.countDown();
            });
            assertTrue(done.await(30, TimeUnit.SECONDS), "the hog was never preempted");
            Metrics m = rt.metrics(); // and the metrics count it
            assertTrue(m.get(Metrics.PREEMPTIONS_REQUESTED) >= 1, m.toString());
            assertTrue(m.get(Metrics.PREEMPTIONS_HONOURED) >= 1, m.toString());
            assertEquals(2, m.get(Metrics.GOROUTINES_CREATED), m.toString());
        }
    }

    @Test
    void hogsOnEveryPAllProgressAndAYieldingGoroutineKeepsRunning() throws Exception {
        int procs = 2;
        int hogs = 4;
        int iterations = 50;
        try (GoRuntime rt = GoRuntime.create(procs)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLongArray progress = new AtomicLongArray(hogs);
            CountDownLatch hogsDone = new CountDownLatch(hogs);
            for (int h = 0; h < hogs; h++) {
                int me = h;
                rt.go(() -> {
                    while (!stop.get()) {
                        progress.incrementAndGet(me);
                        Go.checkpoint();
                    }
                    hogsDone.countDown();
                });
            }
            // A goroutine that gives up the CPU each iteration must still get it back,
            // repeatedly, while the hogs run.
            CountDownLatch polite = new CountDownLatch(1);
            AtomicInteger rounds = new AtomicInteger();
            rt.go(() -> {
                for (int i = 0; i < iterations; i++) {
                    Go.gosched();
                    rounds.incrementAndGet();
                }
                polite.countDown();
            });
            assertTrue(polite.await(30, TimeUnit.SECONDS), "yielding goroutine starved: " + rounds.get() + " rounds");
            // every hog must have run (and keep running) too
            long[] before = new long[hogs];
            for (int h = 0; h < hogs; h++) {
                before[h] = progress.get(h);
            }
            for (int h = 0; h < hogs; h++) {
                int me = h;
                Await.awaitCondition("hog " + h + " to progress", 30_000, () -> progress.get(me) > before[me]);
            }
            stop.set(true);
            assertTrue(hogsDone.await(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aJdkBlockingCallDoesNotStopOtherGoroutinesOnOneP() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            int others = 100;
            CountDownLatch othersDone = new CountDownLatch(others);
            CountDownLatch blockerDone = new CountDownLatch(1);
            rt.go(() -> {
                try {
                    // A JDK blocking call (not goloom's): the carrier is stuck until the others
                    // finish, which they can only do on another M with this P.
                    assertTrue(othersDone.await(50, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                blockerDone.countDown();
            });
            for (int i = 0; i < others; i++) {
                rt.go(othersDone::countDown);
            }
            assertTrue(othersDone.await(30, TimeUnit.SECONDS), "other goroutines did not run while one was blocked in a JDK call");
            assertTrue(blockerDone.await(30, TimeUnit.SECONDS));
            assertTrue(rt.metrics().get(Metrics.HANDOFFS_JDK_BLOCKED) >= 1, rt.metrics().toString()); // counted by reason
            // and the runtime goes on working with the M that came back without its P
            CountDownLatch after = new CountDownLatch(100);
            for (int i = 0; i < 100; i++) {
                rt.go(after::countDown);
            }
            assertTrue(after.await(30, TimeUnit.SECONDS));
        }
    }

    /**
     * A goroutine whose P was taken while it was blocked in a JDK call must not keep running
     * without a P once the call returns (one thread more than GOMAXPROCS on the cores): sysmon
     * asks it to yield at its next yield point, and it comes back on a P. Without that request
     * its checkpoints never yield and it spins P-less until the timeout.
     */
    @Test
    void aGoroutineThatLostItsPInAJdkCallComesBackToAPAtItsNextYieldPoint() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch hogRunning = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean ranWithoutP = new AtomicBoolean();
            CountDownLatch backOnAP = new CountDownLatch(1);
            rt.go(() -> {
                try {
                    // JDK blocking call: sysmon hands the only P to another M for the hog
                    assertTrue(release.await(50, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                M m = rt.sched.currentM();
                ranWithoutP.set(m.p == null || !rt.sched.ownsP(m, m.p));
                while (!stop.get()) {
                    Go.checkpoint();
                    M now = rt.sched.currentM();
                    if (now.p != null && rt.sched.ownsP(now, now.p)) {
                        backOnAP.countDown();
                        return;
                    }
                }
            });
            rt.go(() -> {
                hogRunning.countDown();
                while (!stop.get()) {
                    Go.checkpoint();
                }
            });
            try {
                assertTrue(hogRunning.await(30, TimeUnit.SECONDS), "the P was not handed off");
                release.countDown();
                assertTrue(backOnAP.await(30, TimeUnit.SECONDS), "the goroutine kept running without a P");
                assertTrue(ranWithoutP.get(), "the blocked goroutine's M still owned the P");
            } finally {
                stop.set(true);
            }
        }
    }

    @Test
    void threadSleepInAGoroutineLetsOthersRunMeanwhile() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            AtomicBoolean sleeperFinished = new AtomicBoolean();
            AtomicInteger ranWhileSleeping = new AtomicInteger();
            CountDownLatch all = new CountDownLatch(51);
            CountDownLatch sleeping = new CountDownLatch(1);
            rt.go(() -> {
                sleeping.countDown();
                try {
                    Thread.sleep(200); // JDK, not goloom
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                sleeperFinished.set(true);
                all.countDown();
            });
            assertTrue(sleeping.await(30, TimeUnit.SECONDS));
            for (int i = 0; i < 50; i++) {
                rt.go(() -> {
                    if (!sleeperFinished.get()) {
                        ranWhileSleeping.incrementAndGet();
                    }
                    all.countDown();
                });
            }
            assertTrue(all.await(30, TimeUnit.SECONDS));
            // Not a timing assertion: without handoff not one of them can run before the
            // sleeper returns (there is one P and its M sleeps); with it, they all do, unless
            // the machine stalled this test for the whole 200 ms.
            assertTrue(ranWhileSleeping.get() > 0, "no goroutine ran while the only carrier slept in Thread.sleep");
        }
    }

    @Test
    void goBlockingAroundASocketReadHandsThePOff() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1);
             ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            int others = 100;
            CountDownLatch othersDone = new CountDownLatch(others);
            CountDownLatch readDone = new CountDownLatch(1);
            int[] got = new int[1];
            rt.go(() -> {
                try {
                    InputStream in = accepted.getInputStream();
                    got[0] = Go.blocking(() -> in.read()); // blocks until the others are done
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                readDone.countDown();
            });
            for (int i = 0; i < others; i++) {
                rt.go(() -> {
                    othersDone.countDown();
                    if (othersDone.getCount() == 0) {
                        try {
                            OutputStream out = client.getOutputStream();
                            Go.blocking(() -> {
                                out.write(42);
                                out.flush();
                                return null;
                            });
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }
                });
            }
            assertTrue(othersDone.await(30, TimeUnit.SECONDS), "goroutines did not run while one sat in Go.blocking");
            assertTrue(readDone.await(30, TimeUnit.SECONDS));
            assertEquals(42, got[0]);
            assertTrue(rt.metrics().get(Metrics.HANDOFFS_SYSCALL) >= 1, rt.metrics().toString()); // counted by reason
        }
    }

    @Test
    void goBlockingReturnsValuesAndPropagatesExceptionsOnTheFastPath() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            AtomicInteger sum = new AtomicInteger();
            rt.run(() -> {
                try {
                    for (int i = 0; i < 10_000; i++) {
                        int k = i;
                        sum.addAndGet(Go.blocking(() -> k));
                    }
                    Exception e = assertThrows(java.io.IOException.class,
                            () -> Go.blocking(() -> { throw new java.io.IOException("disk"); }));
                    assertEquals("disk", e.getMessage());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertEquals(10_000 * 9_999 / 2, sum.get());
            // from a plain thread it just runs the call
            assertEquals(7, Go.blocking(() -> 7));
        }
    }

    @Test
    void aGoroutineBlockedEnteringAMonitorHeldByAnotherDoesNotStopTheRest() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            Object monitor = new Object();
            CountDownLatch holderIn = new CountDownLatch(1);
            CountDownLatch othersDone = new CountDownLatch(100);
            CountDownLatch bothDone = new CountDownLatch(2);
            rt.go(() -> {
                synchronized (monitor) {
                    holderIn.countDown();
                    try {
                        assertTrue(othersDone.await(50, TimeUnit.SECONDS)); // WAITING with the monitor held
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                }
                bothDone.countDown();
            });
            assertTrue(holderIn.await(30, TimeUnit.SECONDS));
            rt.go(() -> {
                synchronized (monitor) { // BLOCKED entering it
                    bothDone.countDown();
                }
            });
            for (int i = 0; i < 100; i++) {
                rt.go(othersDone::countDown);
            }
            assertTrue(othersDone.await(30, TimeUnit.SECONDS), "goroutines starved behind a monitor-blocked carrier");
            assertTrue(bothDone.await(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void anIdleRuntimesSysmonIsAsleepAndWakesWhenWorkArrives() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            Sysmon sm = rt.sched.sysmon;
            Await.awaitCondition("sysmon in deep sleep", 30_000, () -> inDeepSleep(sm));
            long ticks = sm.ticks;
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(1);
            rt.go(() -> {
                while (!stop.get()) {
                    Go.checkpoint();
                }
                done.countDown();
            });
            Await.awaitCondition("sysmon ticking again", 30_000, () -> sm.ticks > ticks + 3);
            stop.set(true);
            assertTrue(done.await(30, TimeUnit.SECONDS));
            Await.awaitCondition("sysmon asleep again", 30_000, () -> inDeepSleep(sm));
        }
    }

    /**
     * Parked in its deep sleep: with no deadline, or, while the runtime's MXBean waits for JMX
     * (a JVM where nothing has started JMX yet, such as this class run alone), with a look once a
     * second; either way no tick.
     */
    private static boolean inDeepSleep(Sysmon sm) {
        Thread.State st = sm.getState();
        return sm.sleeping && (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING);
    }

    @Test
    void maxThreadsBelowProcsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> GoRuntime.builder().procs(4).maxThreads(2).build());
        assertThrows(IllegalArgumentException.class, () -> GoRuntime.builder().maxThreads(0));
    }

    // ---- native blocking: the carrier is RUNNABLE, only its CPU time and kernel state tell ----

    /**
     * The verdict on an M whose CPU time stood still: off CPU and not runnable is blocked,
     * except near a stall of sysmon's (a safepoint may have stopped the M as it stopped
     * sysmon), where only the JVM's word that the thread is in native code counts.
     */
    @Test
    void nearAStallOnlyANativeCallLooksBlocked() {
        java.util.function.IntSupplier no = () -> 0, yes = () -> 1, unknown = () -> -1;
        java.util.function.IntSupplier unasked = () -> {
            throw new AssertionError("the thread snapshot is taken only near a stall");
        };
        assertTrue(Sysmon.looksBlocked(5, 'S', false, unasked), "asleep, no stall: blocked");
        assertTrue(Sysmon.looksBlocked(5, 'D', false, unasked));
        assertTrue(Sysmon.looksBlocked(5, (char) 0, false, unasked), "no procfs: CPU time alone decides");
        assertFalse(Sysmon.looksBlocked(5, 'R', false, unasked), "runnable: the OS keeps it off CPU");
        assertTrue(Sysmon.looksBlocked(-1, 'S', false, unasked), "no CPU time: state S alone decides");
        assertFalse(Sysmon.looksBlocked(-1, (char) 0, false, unasked), "nothing known: not blocked");
        assertFalse(Sysmon.looksBlocked(5, 'S', true, no), "near a stall, in Java code: a safepoint stopped it");
        assertFalse(Sysmon.looksBlocked(5, 'S', true, unknown));
        assertTrue(Sysmon.looksBlocked(5, 'S', true, yes), "near a stall, in a native call: blocked");
        assertFalse(Sysmon.looksBlocked(5, 'R', true, unasked));
    }

    /**
     * Started and released initialisations of SlowInit and SlowInit2, kept outside them: a
     * thread that read a field of a class being initialised would wait for it too.
     */
    private static final CountDownLatch[] INIT1 = {new CountDownLatch(1), new CountDownLatch(1)};
    private static final CountDownLatch[] INIT2 = {new CountDownLatch(1), new CountDownLatch(1)};

    /** A class initialiser's body: says it started, then waits for the release. */
    private static void holdInitialisation(CountDownLatch[] latches) {
        latches[0].countDown();
        try {
            latches[1].await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for another thread's class initialisation (RUNNABLE all the while, in JDK 25). */
    private static final class SlowInit {
        static {
            holdInitialisation(INIT1);
        }

        static void touch() {
        }
    }

    /**
     * The JVM's word on three threads that are all off CPU: one in a native read (in native),
     * one waiting for a class initialisation (not: it waits in the JVM, with Thread state
     * RUNNABLE) and one parked (not).
     */
    @Test
    void theJvmTellsANativeCallFromAWaitInTheJvm() throws Throwable {
        org.junit.jupiter.api.Assumptions.assumeTrue(Sysmon.currentTid() != 0, "needs procfs (/proc/thread-self) to see the threads asleep");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            assertEquals(0, (int) Libc.PIPE.invokeExact(fds));
            int rfd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
            int wfd = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            MemorySegment buf = arena.allocate(1);
            // written by the three threads, read by this one: an atomic array for the visibility
            java.util.concurrent.atomic.AtomicIntegerArray tids = new java.util.concurrent.atomic.AtomicIntegerArray(3);
            Thread reader = Thread.ofPlatform().start(() -> {
                tids.set(0, Sysmon.currentTid());
                try {
                    long unused = (long) Libc.READ.invokeExact(rfd, buf, 1L);
                } catch (Throwable t) {
                    throw new RuntimeException(t);
                }
            });
            Thread initialiser = Thread.ofPlatform().start(SlowInit::touch);
            assertTrue(INIT1[0].await(30, TimeUnit.SECONDS));
            Thread waiter = Thread.ofPlatform().start(() -> {
                tids.set(1, Sysmon.currentTid());
                SlowInit.touch();
            });
            CountDownLatch never = new CountDownLatch(1);
            Thread parked = Thread.ofPlatform().start(() -> {
                tids.set(2, Sysmon.currentTid());
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                Thread[] ts = {reader, waiter, parked};
                for (int i = 0; i < 3; i++) {
                    int k = i;
                    Await.awaitCondition(ts[k].getName() + " asleep in the kernel", 30_000,
                            () -> tids.get(k) != 0 && Sysmon.kernelState(tids.get(k)) == 'S');
                }
                assertEquals(Thread.State.RUNNABLE, waiter.getState(), "the JDK fact the verdict rests on");
                assertEquals(1, Sysmon.inNative(reader), "a native read");
                assertEquals(0, Sysmon.inNative(waiter), "waiting for a class initialisation");
                assertEquals(0, Sysmon.inNative(parked), "parked");
            } finally {
                INIT1[1].countDown();
                never.countDown();
                MemorySegment one = arena.allocate(1);
                assertEquals(1L, (long) Libc.WRITE.invokeExact(wfd, one, 1L));
                for (Thread t : new Thread[] {reader, initialiser, waiter, parked}) {
                    t.join(30_000);
                }
                int unused = (int) Libc.CLOSE.invokeExact(rfd);
                unused = (int) Libc.CLOSE.invokeExact(wfd);
            }
        }
    }

    /** Waits in a class initialisation that a test thread holds open (a second class: one per test). */
    private static final class SlowInit2 {
        static {
            holdInitialisation(INIT2);
        }

        static void touch() {
        }
    }

    /**
     * A goroutine that waits for another thread's class initialisation shows RUNNABLE, so only
     * the native-code path can see it blocked; its P must still be handed off, with or without
     * stalls of sysmon's (the JVM does not have it in native code).
     */
    @Test
    void aGoroutineWaitingForAClassInitialisationDoesNotStopTheGoroutinesQueuedOnItsP() throws Exception {
        Thread initialiser = Thread.ofPlatform().start(SlowInit2::touch);
        assertTrue(INIT2[0].await(30, TimeUnit.SECONDS));
        try (GoRuntime rt = GoRuntime.create(1)) {
            CountDownLatch waiting = new CountDownLatch(1);
            CountDownLatch queuedRan = new CountDownLatch(1);
            CountDownLatch initDone = new CountDownLatch(1);
            rt.go(() -> {
                waiting.countDown();
                SlowInit2.touch(); // no yield point until the initialisation ends
                initDone.countDown();
            });
            assertTrue(waiting.await(30, TimeUnit.SECONDS));
            rt.go(queuedRan::countDown); // queued on the only P, behind the waiting goroutine
            try {
                assertTrue(queuedRan.await(20, TimeUnit.SECONDS),
                        "the goroutine queued behind a class-initialisation wait never ran: sysmon did not hand off the P");
                assertEquals(1, initDone.getCount(), "the initialisation ended before it was released");
            } finally {
                INIT2[1].countDown();
            }
            assertTrue(initDone.await(30, TimeUnit.SECONDS));
            initialiser.join(30_000);
        }
    }

    /** libc through FFM, for blocking the carrier in native code. */
    private static final class Libc {
        static final Linker LINKER = Linker.nativeLinker();
        static final MethodHandle PIPE = fn("pipe", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        static final MethodHandle READ = fn("read", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        static final MethodHandle WRITE = fn("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        static final MethodHandle MKFIFO = fn("mkfifo", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

        static MethodHandle fn(String name, FunctionDescriptor d) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
        }
    }

    /**
     * Issue #19 item 4: a goroutine blocked in an FFM downcall ({@code read} of an empty pipe)
     * keeps its carrier RUNNABLE. On one P the goroutine queued behind it can only run if
     * sysmon sees the block (preemption request unanswered, no CPU used, kernel state S) and
     * hands the P to another M; the pipe is written only after it ran. Without that the queued
     * goroutine waits for the read, which waits for the write: the await below times out.
     */
    @Test
    void aGoroutineBlockedInAnFfmCallDoesNotStopTheGoroutinesQueuedOnItsP() throws Throwable {
        try (Arena arena = Arena.ofShared(); GoRuntime rt = GoRuntime.create(1)) {
            for (int round = 0; round < Stress.FACTOR; round++) {
                blockInAPipeReadWhileAQueuedGoroutineRuns(rt, arena);
            }
        }
    }

    private static void blockInAPipeReadWhileAQueuedGoroutineRuns(GoRuntime rt, Arena arena) throws Throwable {
        MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
        assertEquals(0, (int) Libc.PIPE.invokeExact(fds));
        int rfd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
        int wfd = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
        MemorySegment buf = arena.allocate(1);
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch queuedRan = new CountDownLatch(1);
        CountDownLatch readDone = new CountDownLatch(1);
        long[] got = new long[1];
        try {
            rt.go(() -> {
                inCall.countDown();
                try {
                    got[0] = (long) Libc.READ.invokeExact(rfd, buf, 1L); // no yield point until it returns
                } catch (Throwable t) {
                    throw new RuntimeException(t);
                }
                readDone.countDown();
            });
            assertTrue(inCall.await(30, TimeUnit.SECONDS));
            rt.go(queuedRan::countDown); // queued on the only P, behind the blocked goroutine
            assertTrue(queuedRan.await(20, TimeUnit.SECONDS),
                    "the goroutine queued behind a native read never ran: sysmon did not hand off the P");
            assertEquals(1, readDone.getCount(), "the read returned before anything was written");
        } finally {
            MemorySegment one = arena.allocate(1);
            one.set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
            assertEquals(1L, (long) Libc.WRITE.invokeExact(wfd, one, 1L));
            assertTrue(readDone.await(30, TimeUnit.SECONDS));
            int unused = (int) Libc.CLOSE.invokeExact(rfd);
            unused = (int) Libc.CLOSE.invokeExact(wfd);
        }
        assertEquals(1L, got[0]);
        // the M that lost its P comes back through lostP: the runtime keeps working
        CountDownLatch after = new CountDownLatch(100);
        for (int i = 0; i < 100; i++) {
            rt.go(after::countDown);
        }
        assertTrue(after.await(30, TimeUnit.SECONDS));
    }

    /**
     * The same through the JDK: {@code FileInputStream} on a FIFO blocks in native open and
     * read with the carrier RUNNABLE (Go.java used to claim file reads were detected; they were
     * not). The FIFO is opened for writing only after the queued goroutine ran.
     */
    @Test
    void aGoroutineBlockedReadingAFifoDoesNotStopTheGoroutinesQueuedOnItsP(@TempDir Path dir) throws Throwable {
        Path fifo = dir.resolve("fifo");
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(0, (int) Libc.MKFIFO.invokeExact(arena.allocateFrom(fifo.toString()), 0600));
        }
        try (GoRuntime rt = GoRuntime.create(1)) {
            CountDownLatch inCall = new CountDownLatch(1);
            CountDownLatch queuedRan = new CountDownLatch(1);
            CountDownLatch readDone = new CountDownLatch(1);
            int[] got = new int[1];
            rt.go(() -> {
                inCall.countDown();
                try (FileInputStream in = new FileInputStream(fifo.toFile())) { // blocks until a writer opens
                    got[0] = in.read();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                readDone.countDown();
            });
            assertTrue(inCall.await(30, TimeUnit.SECONDS));
            rt.go(queuedRan::countDown);
            try {
                assertTrue(queuedRan.await(20, TimeUnit.SECONDS),
                        "the goroutine queued behind a FIFO read never ran: sysmon did not hand off the P");
            } finally {
                try (FileOutputStream out = new FileOutputStream(fifo.toFile())) {
                    out.write(42);
                }
            }
            assertTrue(readDone.await(30, TimeUnit.SECONDS));
            assertEquals(42, got[0]);
            assertTrue(Files.exists(fifo));
        }
    }
}
