package io.goloom.vt;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.G;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import io.goloom.scheduler.VirtualThreadInfo;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * JDK virtual threads on goloom's carriers: each JDK blocking API under contention with 10,000
 * virtual threads on GOMAXPROCS 2, ThreadLocals, uncaught exceptions, accounting, and the
 * refusal path. Every wait is a join or a latch with a timeout; no sleeps to synchronize.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VirtualThreadsTest {

    static final int N = 10_000;
    /** A hang is a failure, never a slow pass; not a performance bound. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    GoRuntime rt;

    @BeforeEach
    void start() {
        rt = GoRuntime.create(2);
    }

    @AfterEach
    void stop() {
        rt.close();
    }

    /** Starts n virtual threads on rt running body(i), joins them all, and fails on a hang. */
    List<Thread> startAll(int n, java.util.function.IntConsumer body) {
        ThreadFactory f = rt.virtualThreadFactory();
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            Thread t = f.newThread(() -> body.accept(k));
            threads.add(t);
            t.start();
        }
        return threads;
    }

    static void joinAll(List<Thread> threads) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                fail("virtual thread did not finish: " + t + " state " + t.getState());
            }
        }
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aVirtualThreadRunsOnOneOfTheRuntimesCarriers() throws Exception {
        CompletableFuture<String> seen = new CompletableFuture<>();
        Thread t = rt.virtualThreads().name("probe").start(() -> {
            Thread self = Thread.currentThread();
            seen.complete(self.isVirtual() + " " + self.getName() + " " + self);
        });
        assertTrue(t.join(TIMEOUT));
        String s = seen.get(0, TimeUnit.SECONDS);
        assertTrue(s.startsWith("true probe "), s);
        // VirtualThread.toString names its carrier while mounted: goloom-N-mK.
        assertTrue(s.contains("@" + rt.name() + "-m"), s);
    }

    @Test
    void threadLocalsArePerVirtualThread() throws Exception {
        ThreadLocal<Integer> tl = new ThreadLocal<>();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger inheritedFromCarrier = new AtomicInteger();
        List<Thread> threads = startAll(N, i -> {
            if (tl.get() != null) {
                inheritedFromCarrier.incrementAndGet(); // a carrier's or another thread's value
            }
            tl.set(i);
            for (int k = 0; k < 3; k++) {
                Thread.yield(); // unmount; may remount on the other carrier
                if (tl.get() != i) {
                    return;
                }
            }
            sleepQuietly(1);
            if (tl.get() == i) {
                ok.incrementAndGet();
            }
        });
        joinAll(threads);
        assertEquals(0, inheritedFromCarrier.get());
        assertEquals(N, ok.get());
    }

    @Test
    void threadSleepWith10kVirtualThreads() throws Exception {
        AtomicInteger woke = new AtomicInteger();
        List<Thread> threads = startAll(N, i -> {
            sleepQuietly(1 + i % 10);
            woke.incrementAndGet();
        });
        joinAll(threads);
        assertEquals(N, woke.get());
    }

    @Test
    void reentrantLockUnderContentionWith10kVirtualThreads() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        long[] counter = {0};
        int rounds = 10;
        List<Thread> threads = startAll(N, i -> {
            for (int r = 0; r < rounds; r++) {
                lock.lock();
                try {
                    long v = counter[0];
                    Thread.yield(); // unmount while holding it: the others park on the lock
                    counter[0] = v + 1;
                } finally {
                    lock.unlock();
                }
            }
        });
        joinAll(threads);
        lock.lock();
        try {
            assertEquals((long) N * rounds, counter[0]);
        } finally {
            lock.unlock();
        }
    }

    @Test
    void synchronizedUnderContentionWith10kVirtualThreads() throws Exception {
        Object monitor = new Object();
        long[] counter = {0};
        int rounds = 10;
        List<Thread> threads = startAll(N, i -> {
            for (int r = 0; r < rounds; r++) {
                synchronized (monitor) {
                    long v = counter[0];
                    Thread.yield();
                    counter[0] = v + 1;
                }
            }
        });
        joinAll(threads);
        synchronized (monitor) {
            assertEquals((long) N * rounds, counter[0]);
        }
    }

    @Test
    void objectWaitAndNotifyAllAcrossVirtualThreads() throws Exception {
        // A one-slot buffer guarded by wait/notifyAll: N/2 producers, N/2 consumers.
        Object monitor = new Object();
        Integer[] slot = {null};
        AtomicLong consumed = new AtomicLong();
        int half = N / 2;
        List<Thread> threads = startAll(N, i -> {
            try {
                synchronized (monitor) {
                    if (i % 2 == 0) {
                        while (slot[0] != null) {
                            monitor.wait();
                        }
                        slot[0] = i / 2;
                    } else {
                        while (slot[0] == null) {
                            monitor.wait();
                        }
                        consumed.addAndGet(slot[0]);
                        slot[0] = null;
                    }
                    monitor.notifyAll();
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        joinAll(threads);
        assertEquals((long) half * (half - 1) / 2, consumed.get());
    }

    @Test
    void blockingQueueWith10kVirtualThreads() throws Exception {
        BlockingQueue<Integer> q = new ArrayBlockingQueue<>(16);
        AtomicLong taken = new AtomicLong();
        AtomicInteger takes = new AtomicInteger();
        int half = N / 2;
        List<Thread> threads = startAll(N, i -> {
            try {
                if (i % 2 == 0) {
                    q.put(i / 2);
                } else {
                    taken.addAndGet(q.take());
                    takes.incrementAndGet();
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        joinAll(threads);
        assertEquals(half, takes.get());
        assertEquals((long) half * (half - 1) / 2, taken.get());
        assertTrue(q.isEmpty());
    }

    @Test
    void anUncaughtExceptionReachesTheThreadsHandler() throws Exception {
        CompletableFuture<String> viaBuilder = new CompletableFuture<>();
        Thread t1 = rt.virtualThreads().name("thrower")
                .uncaughtExceptionHandler((t, e) -> viaBuilder.complete(t.getName() + ": " + e.getMessage()))
                .start(() -> {
                    throw new IllegalStateException("boom");
                });
        CompletableFuture<Thread> viaSetter = new CompletableFuture<>();
        Thread t2 = rt.virtualThreadFactory().newThread(() -> {
            throw new IllegalArgumentException("bang");
        });
        t2.setUncaughtExceptionHandler((t, e) -> viaSetter.complete(t));
        t2.start();
        assertTrue(t1.join(TIMEOUT));
        assertTrue(t2.join(TIMEOUT));
        assertEquals("thrower: boom", viaBuilder.get(0, TimeUnit.SECONDS));
        assertSame(t2, viaSetter.get(0, TimeUnit.SECONDS));
        // The carriers survived: the runtime still runs goroutines and virtual threads.
        CountDownLatch after = new CountDownLatch(2);
        rt.go(after::countDown);
        rt.virtualThreads().start(after::countDown);
        assertTrue(after.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void liveVirtualThreadsAreCountedAndDumpedIncludingInheritedOnes() throws Exception {
        int n = 100;
        CountDownLatch running = new CountDownLatch(n + 1);
        CountDownLatch gate = new CountDownLatch(1);
        Runnable body = () -> {
            running.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        assertEquals(0, rt.virtualThreadCount());
        List<Thread> threads = startAll(n - 1, i -> body.run());
        AtomicReference<Thread> child = new AtomicReference<>();
        // A thread that starts a child with the plain JDK API: the child inherits goloom.
        Thread parent = rt.virtualThreads().name("parent").start(() -> {
            child.set(Thread.ofVirtual().name("child").start(body));
            body.run();
        });
        threads.add(parent);
        assertTrue(running.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        threads.add(child.get());

        assertEquals(n + 1, rt.virtualThreadCount());
        List<VirtualThreadInfo> dump = rt.virtualThreadDump();
        assertEquals(n + 1, dump.size());
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (Thread t : threads) {
            ids.add(t.threadId());
        }
        for (VirtualThreadInfo vi : dump) {
            assertTrue(ids.contains(vi.threadId()), vi.toString());
            // Every one is past running.countDown(): its stack shows this test's code.
            assertTrue(vi.stack().stream().anyMatch(e -> e.getClassName().startsWith(VirtualThreadsTest.class.getName())),
                    vi.toString());
        }
        assertTrue(dump.stream().anyMatch(vi -> vi.name().equals("child")));

        gate.countDown();
        joinAll(threads);
        assertEquals(0, rt.virtualThreadCount());
        assertEquals(List.of(), rt.virtualThreadDump());
    }

    @Test
    void goroutinesAndVirtualThreadsWakeEachOther() throws Exception {
        // G -> VT with LockSupport.unpark, VT -> G with Go.unpark, 1000 round trips.
        int rounds = 1000;
        AtomicReference<G> g = new AtomicReference<>();
        AtomicReference<Thread> vt = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(1);
        AtomicInteger turn = new AtomicInteger(); // even: the VT's turn, odd: the G's
        CountDownLatch done = new CountDownLatch(2);
        vt.set(rt.virtualThreads().unstarted(() -> {
            try {
                ready.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            for (int r = 0; r < rounds; r++) {
                while (turn.get() != 2 * r) {
                    LockSupport.park();
                }
                turn.set(2 * r + 1);
                Go.unpark(g.get());
            }
            done.countDown();
        }));
        rt.go(() -> {
            g.set(Go.current());
            ready.countDown();
            for (int r = 0; r < rounds; r++) {
                while (turn.get() != 2 * r + 1) {
                    Go.park();
                }
                turn.set(2 * r + 2);
                LockSupport.unpark(vt.get());
            }
            done.countDown();
        });
        vt.get().start();
        assertTrue(done.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "ping-pong hung at turn " + turn.get());
        assertEquals(2 * rounds, turn.get());
    }

    @Test
    void perTaskExecutorCloseWaitsAndShutdownNowInterrupts() throws Exception {
        AtomicInteger finished = new AtomicInteger();
        ExecutorService ex = rt.newVirtualThreadPerTaskExecutor();
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            fs.add(ex.submit(() -> {
                sleepQuietly(5);
                finished.incrementAndGet();
            }));
        }
        ex.close(); // waits for every task
        assertEquals(100, finished.get());
        for (Future<?> f : fs) {
            assertEquals(Future.State.SUCCESS, f.state());
        }
        assertTrue(ex.isTerminated());

        ExecutorService ex2 = rt.newVirtualThreadPerTaskExecutor();
        CountDownLatch sleeping = new CountDownLatch(1);
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        ex2.execute(() -> {
            try {
                sleeping.countDown();
                Thread.sleep(Long.MAX_VALUE);
                outcome.complete(null);
            } catch (InterruptedException e) {
                outcome.complete(e);
            }
        });
        assertTrue(sleeping.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        ex2.shutdownNow();
        assertInstanceOf(InterruptedException.class, outcome.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        assertTrue(ex2.awaitTermination(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void aRefusingJdkGetsOneClearExceptionAndGoroutinesKeepWorking() throws Exception {
        // Drive the lookup with a builder class that does not exist (package-private hook).
        Class<?> vts = Class.forName("io.goloom.scheduler.VirtualThreads");
        Method lookup = vts.getDeclaredMethod("lookupBuilder", String.class);
        lookup.setAccessible(true);
        InvocationTargetException ite = assertThrows(InvocationTargetException.class,
                () -> lookup.invoke(null, "java.lang.NoSuchVirtualThreadBuilder"));
        UnsupportedOperationException uoe = assertInstanceOf(UnsupportedOperationException.class, ite.getCause());
        String msg = uoe.getMessage();
        assertTrue(msg.contains("JDK " + Runtime.version()), msg);
        assertTrue(msg.contains("--add-opens java.base/java.lang=ALL-UNNAMED"), msg);
        assertTrue(msg.contains("java.lang.NoSuchVirtualThreadBuilder(Executor) does not exist"), msg);
        assertInstanceOf(ReflectiveOperationException.class, uoe.getCause());

        CountDownLatch ran = new CountDownLatch(1);
        rt.go(ran::countDown);
        assertTrue(ran.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    }
}
