package io.goloom.vt;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.G;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link GoRuntime#executor()}: the ExecutorService contract over native goroutines. Tasks
 * are made to wait deterministically with {@link Go#park}; "not started yet" is made
 * deterministic by submitting from a goroutine that holds the only P and does not yield.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GoExecutorServiceTest {

    static final long T = 30; // seconds; a hang is a failure, not a performance bound

    /**
     * A task that parks its goroutine until {@link #release}; {@link #awaitParked} waits for it
     * to start. {@code released} and {@code g} form a Dekker pair (both volatile): the task
     * publishes g then reads released; release writes released then reads g. Either the task
     * skips the park or the releaser sees g and unparks it (an early unpark is remembered).
     */
    static final class Parker implements Runnable {
        final CompletableFuture<G> g = new CompletableFuture<>();
        final CountDownLatch finished = new CountDownLatch(1);
        volatile boolean released;

        @Override
        public void run() {
            g.complete(Go.current());
            if (!released) {
                Go.park();
            }
            finished.countDown();
        }

        G awaitParked() throws Exception {
            return g.get(T, TimeUnit.SECONDS);
        }

        /** Releases a task known to start. */
        void release() throws Exception {
            released = true;
            Go.unpark(awaitParked());
        }

        /** Releases a task that may have been cancelled before it began (then it never runs). */
        void releaseIfStarted() {
            released = true;
            if (g.isDone()) {
                Go.unpark(g.join());
            }
        }
    }

    @Test
    void submitRunsEachTaskInAGoroutineAndReturnsItsResult() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2); ExecutorService ex = rt.executor()) {
            List<Future<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int k = i;
                fs.add(ex.submit(() -> {
                    assertNotNull(Go.current(), "not in a goroutine");
                    return (long) k * k;
                }));
            }
            for (int i = 0; i < 1000; i++) {
                assertEquals((long) i * i, fs.get(i).get(T, TimeUnit.SECONDS));
            }
            Future<?> failing = ex.submit(() -> {
                throw new IllegalStateException("bad");
            });
            ExecutionException ee = assertThrows(ExecutionException.class, () -> failing.get(T, TimeUnit.SECONDS));
            assertEquals("bad", ee.getCause().getMessage());
        }
    }

    @Test
    void afterShutdownNewTasksAreRejectedAndAcceptedOnesStillRun() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            ExecutorService ex = rt.executor();
            Parker p1 = new Parker(), p2 = new Parker();
            Future<?> f1 = ex.submit(p1);
            ex.execute(p2);
            p1.awaitParked();
            p2.awaitParked();

            ex.shutdown();
            assertTrue(ex.isShutdown());
            assertFalse(ex.isTerminated());
            assertThrows(RejectedExecutionException.class, () -> ex.execute(() -> { }));
            assertThrows(RejectedExecutionException.class, () -> ex.submit(() -> 1));
            assertThrows(RejectedExecutionException.class, () -> ex.invokeAll(List.of(() -> 1)));
            assertThrows(RejectedExecutionException.class, () -> ex.invokeAny(List.of(() -> 1)));
            assertFalse(ex.awaitTermination(20, TimeUnit.MILLISECONDS), "terminated with two tasks parked");

            p1.release();
            p2.release();
            assertTrue(ex.awaitTermination(T, TimeUnit.SECONDS));
            assertTrue(ex.isTerminated());
            assertNull(f1.get(0, TimeUnit.SECONDS));
            assertEquals(0, p2.finished.getCount());
        }
    }

    @Test
    void shutdownNowReturnsTheTasksThatHadNotStartedAndLeavesRunningOnesRunning() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            ExecutorService ex = rt.executor();
            Parker running = new Parker();
            ex.execute(running);
            running.awaitParked(); // started; parked, so it holds no P

            AtomicInteger ranAnyway = new AtomicInteger();
            List<Runnable> submitted = new CopyOnWriteArrayList<>();
            AtomicReference<Future<Integer>> submittedFuture = new AtomicReference<>();
            CompletableFuture<List<Runnable>> returned = new CompletableFuture<>();
            // From a goroutine on the only P, without yielding: the new goroutines are queued
            // on this P and none can begin before shutdownNow.
            rt.go(() -> {
                for (int i = 0; i < 20; i++) {
                    Runnable r = ranAnyway::incrementAndGet;
                    submitted.add(r);
                    ex.execute(r);
                }
                submittedFuture.set(ex.submit(ranAnyway::incrementAndGet));
                returned.complete(ex.shutdownNow());
            });
            List<Runnable> notStarted = returned.get(T, TimeUnit.SECONDS);
            assertEquals(21, notStarted.size());
            assertTrue(notStarted.containsAll(submitted));
            Future<Integer> f = submittedFuture.get();
            assertTrue(notStarted.contains((Runnable) f), "submit's future is among the returned tasks");
            assertTrue(f.isCancelled(), "and cancelled, so that nobody waits for it forever");
            assertThrows(RejectedExecutionException.class, () -> ex.execute(() -> { }));

            assertFalse(ex.isTerminated(), "a started task is still parked");
            running.release();
            assertTrue(ex.awaitTermination(T, TimeUnit.SECONDS));
            // The claimed goroutines run after it as no-ops (one P: FIFO behind this one).
            CountDownLatch drained = new CountDownLatch(1);
            rt.go(drained::countDown);
            assertTrue(drained.await(T, TimeUnit.SECONDS));
            assertEquals(0, ranAnyway.get());
        }
    }

    @Test
    void awaitTerminationTrueAndFalse() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            ExecutorService ex = rt.executor();
            assertFalse(ex.awaitTermination(0, TimeUnit.SECONDS), "not shut down");
            Parker p = new Parker();
            ex.execute(p);
            ex.shutdown();
            assertFalse(ex.awaitTermination(10, TimeUnit.MILLISECONDS));
            p.release();
            assertTrue(ex.awaitTermination(T, TimeUnit.SECONDS));
            assertTrue(ex.awaitTermination(0, TimeUnit.SECONDS));

            ExecutorService idle = rt.executor();
            idle.shutdown();
            assertTrue(idle.isTerminated(), "no task: terminated at shutdown");
        }
    }

    @Test
    void invokeAllReturnsEveryFutureDoneInOrder() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2); ExecutorService ex = rt.executor()) {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int k = i;
                tasks.add(() -> {
                    if (k == 7) {
                        throw new IllegalArgumentException("seven");
                    }
                    Go.yield();
                    return k;
                });
            }
            List<Future<Integer>> fs = ex.invokeAll(tasks);
            assertEquals(100, fs.size());
            for (int i = 0; i < 100; i++) {
                assertTrue(fs.get(i).isDone());
                if (i == 7) {
                    assertEquals(Future.State.FAILED, fs.get(i).state());
                } else {
                    assertEquals(i, fs.get(i).resultNow());
                }
            }
            // Timed: at the timeout every future is done; the one that cannot finish is cancelled.
            Parker p = new Parker();
            List<Future<Object>> timed = ex.invokeAll(List.of(() -> "quick", () -> {
                p.run();
                return "late";
            }), 50, TimeUnit.MILLISECONDS);
            assertTrue(timed.get(0).isCancelled() || "quick".equals(timed.get(0).resultNow()));
            assertTrue(timed.get(1).isCancelled());
            p.releaseIfStarted(); // a started one kept running (no interrupts for goroutines); let it end
        }
    }

    @Test
    void invokeAnyReturnsTheFirstSuccessAndCancelsTheRest() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1); ExecutorService ex = rt.executor()) {
            // From a goroutine on the only P: the first task to finish readies the waiting
            // goroutine into runnext, so it cancels the rest before any of them begins.
            AtomicInteger invoked = new AtomicInteger();
            List<Callable<String>> tasks = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int k = i;
                tasks.add(() -> {
                    invoked.incrementAndGet();
                    return "task " + k;
                });
            }
            CompletableFuture<String> result = new CompletableFuture<>();
            rt.go(() -> {
                try {
                    result.complete(ex.invokeAny(tasks));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            assertTrue(result.get(T, TimeUnit.SECONDS).startsWith("task "));
            CountDownLatch drained = new CountDownLatch(1);
            rt.go(drained::countDown);
            assertTrue(drained.await(T, TimeUnit.SECONDS));
            assertEquals(1, invoked.get(), "the others were cancelled before they began");
        }
    }

    @Test
    void invokeAnyFailuresAndTimeout() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2); ExecutorService ex = rt.executor()) {
            // From a plain thread: one success among failures.
            List<Callable<String>> mixed = List.of(
                    () -> {
                        throw new IllegalStateException("a");
                    },
                    () -> "ok",
                    () -> {
                        throw new IllegalStateException("c");
                    });
            assertEquals("ok", ex.invokeAny(mixed));
            // All fail: ExecutionException with one of the causes.
            ExecutionException ee = assertThrows(ExecutionException.class, () -> ex.invokeAny(List.of(
                    () -> {
                        throw new IllegalStateException("x");
                    },
                    () -> {
                        throw new IllegalStateException("y");
                    })));
            assertInstanceOf(IllegalStateException.class, ee.getCause());
            // Nothing finishes in time.
            Parker p = new Parker();
            assertThrows(TimeoutException.class, () -> ex.invokeAny(List.of(() -> {
                p.run();
                return "never";
            }), 20, TimeUnit.MILLISECONDS));
            p.releaseIfStarted();
            assertThrows(IllegalArgumentException.class, () -> ex.invokeAny(List.of()));
            assertThrows(NullPointerException.class, () -> ex.invokeAny(java.util.Arrays.asList((Callable<String>) null)));
        }
    }

    @Test
    void cancelTrueDoesNotInterruptTheCarrierAndDiscardsTheResult() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1); ExecutorService ex = rt.executor()) {
            Parker p = new Parker();
            AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
            Future<String> f = ex.submit(() -> {
                p.run();
                interruptedAfter.set(Thread.currentThread().isInterrupted());
                return "discarded";
            });
            p.awaitParked();
            assertTrue(f.cancel(true));
            assertThrows(CancellationException.class, f::get);
            p.release();
            p.finished.await(T, TimeUnit.SECONDS);
            ex.shutdown();
            assertTrue(ex.awaitTermination(T, TimeUnit.SECONDS));
            assertEquals(Boolean.FALSE, interruptedAfter.get(), "cancel(true) interrupted a carrier");
        }
    }

    @Test
    void closeWaitsForAcceptedTasks() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            ExecutorService ex = rt.executor();
            AtomicInteger finished = new AtomicInteger();
            for (int i = 0; i < 10; i++) {
                ex.execute(() -> {
                    while (!ex.isShutdown()) {
                        Go.yield(); // still running when close() begins
                    }
                    finished.incrementAndGet();
                });
            }
            ex.close();
            assertEquals(10, finished.get());
            assertTrue(ex.isTerminated());
            ex.close(); // idempotent
        }
    }

    @Test
    void waitingFromAGoroutineParksItAndNeverBlocksTheCarrier() throws Exception {
        // One P and at most one M: if any of these waits blocked the carrier, nothing else
        // could ever run and the test would time out.
        try (GoRuntime rt = GoRuntime.builder().procs(1).maxThreads(1).build()) {
            ExecutorService ex = rt.executor();
            List<String> log = new CopyOnWriteArrayList<>();
            Parker p = new Parker();
            CompletableFuture<Void> done = new CompletableFuture<>();
            rt.go(() -> {
                try {
                    Future<String> f = ex.submit(() -> "value");
                    log.add("get " + f.get());
                    Future<String> slow = ex.submit(() -> {
                        Go.yield();
                        return "slow";
                    });
                    log.add("timed get " + slow.get(T, TimeUnit.SECONDS));
                    Future<?> parked = ex.submit(p);
                    try {
                        parked.get(10, TimeUnit.MILLISECONDS);
                        log.add("no timeout?");
                    } catch (TimeoutException expected) {
                        log.add("timeout");
                    }
                    log.add("invokeAll " + ex.invokeAll(List.of(() -> 1, () -> 2)).size());
                    log.add("invokeAny " + ex.invokeAny(List.of(() -> 3)));
                    ex.shutdown();
                    log.add("awaitTermination " + ex.awaitTermination(10, TimeUnit.MILLISECONDS));
                    ex.execute(() -> { }); // rejected
                } catch (RejectedExecutionException expected) {
                    log.add("rejected");
                } catch (Exception e) {
                    done.completeExceptionally(e);
                    return;
                }
                done.complete(null);
            });
            done.get(T, TimeUnit.SECONDS);
            assertEquals(List.of("get value", "timed get slow", "timeout", "invokeAll 2", "invokeAny 3",
                    "awaitTermination false", "rejected"), log);

            // close() from a goroutine while the parked task still runs: it parks until the
            // task ends, which needs the one carrier to be free to run the task.
            CompletableFuture<Boolean> closedAfterTask = new CompletableFuture<>();
            rt.go(() -> {
                ex.close();
                closedAfterTask.complete(p.finished.getCount() == 0 && ex.isTerminated());
            });
            p.release();
            assertTrue(closedAfterTask.get(T, TimeUnit.SECONDS));
        }
    }

    @Test
    void aClosedRuntimeRejectsAndAcceptsNothing() throws Exception {
        GoRuntime rt = GoRuntime.create(1);
        ExecutorService ex = rt.executor();
        rt.close();
        assertThrows(RejectedExecutionException.class, () -> ex.execute(() -> { }));
        ex.shutdown();
        assertTrue(ex.awaitTermination(0, TimeUnit.SECONDS), "the refused task was not left counted");
    }
}
