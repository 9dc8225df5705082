package io.goloom.scheduler;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The application TransparentModeTest runs in a child JVM under {@code -javaagent:...=scheduler}.
 * It is an ordinary program (nothing of goloom's API): it prints what it sees, one fact per
 * line, and the test checks the lines.
 */
public final class TransparentTarget {
    private TransparentTarget() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "carriers" -> carriers();
            case "external" -> external();
            case "timers" -> timers();
            case "spin" -> spin();
            case "bounded" -> bounded(Integer.parseInt(args[1]));
            case "yield" -> yieldHandsOver();
            case "yieldorder" -> yieldGoesBehindGlobalWork();
            case "parallelism" -> parallelism();
            case "procs" -> procs();
            case "counts" -> counts();
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** The scheduler's size as the JDK's MXBean reports it, once a virtual thread has run. */
    static void procs() throws Exception {
        Thread.ofVirtual().start(() -> { }).join();
        System.out.println("procs " + java.lang.management.ManagementFactory
                .getPlatformMXBean(jdk.management.VirtualThreadSchedulerMXBean.class).getParallelism());
    }

    /**
     * Mounted and queued virtual threads as the JDK's MXBean reports them (run with 2 procs):
     * from inside a virtual thread; with both carriers held by spinning virtual threads and 5
     * more started from this platform thread (they wait in the global queue); and once all
     * have ended.
     */
    static void counts() throws Exception {
        jdk.management.VirtualThreadSchedulerMXBean bean =
                java.lang.management.ManagementFactory.getPlatformMXBean(jdk.management.VirtualThreadSchedulerMXBean.class);
        long[] self = new long[1];
        Thread.ofVirtual().start(() -> self[0] = bean.getMountedVirtualThreadCount()).join();
        System.out.println("counts self mounted " + self[0]);
        java.util.concurrent.atomic.AtomicInteger spinning = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean release = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            all.add(Thread.ofVirtual().start(() -> {
                spinning.incrementAndGet();
                while (!release.get()) {
                    Thread.onSpinWait(); // holds its carrier: no park, no yield
                }
            }));
        }
        while (spinning.get() < 2) {
            Thread.onSpinWait();
        }
        for (int i = 0; i < 5; i++) {
            all.add(Thread.ofVirtual().start(() -> { }));
        }
        System.out.println("counts busy mounted " + bean.getMountedVirtualThreadCount()
                + " queued " + bean.getQueuedVirtualThreadCount());
        release.set(true);
        for (Thread t : all) {
            t.join();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (bean.getMountedVirtualThreadCount() != 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // a joined thread's carrier may still be unmounting it
        }
        System.out.println("counts idle mounted " + bean.getMountedVirtualThreadCount()
                + " queued " + bean.getQueuedVirtualThreadCount());
    }

    /**
     * GOMAXPROCS through the JDK's own VirtualThreadSchedulerMXBean (what JConsole and JMC call):
     * read, set 2 -> 3 -> 1 while virtual threads run, each step's threads all run, a bad value refused.
     */
    static void parallelism() throws Exception {
        jdk.management.VirtualThreadSchedulerMXBean bean =
                java.lang.management.ManagementFactory.getPlatformMXBean(jdk.management.VirtualThreadSchedulerMXBean.class);
        System.out.println("parallelism " + bean.getParallelism());
        for (int size : new int[] {3, 1}) {
            bean.setParallelism(size);
            java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
            try (var ex = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 1000; i++) {
                    ex.submit(() -> {
                        Thread.yield();
                        ran.incrementAndGet();
                    });
                }
            }
            System.out.println("set " + size + " now " + bean.getParallelism() + " ran " + ran.get());
        }
        try {
            bean.setParallelism(0);
            System.out.println("bad accepted");
        } catch (IllegalArgumentException e) {
            System.out.println("bad refused " + bean.getParallelism());
        }
    }

    /** Where virtual threads run, by who created them. */
    static void carriers() throws Exception {
        System.out.println("main " + Thread.currentThread().isVirtual() + " " + Thread.currentThread().getName());
        List<String> seen = new ArrayList<>();
        Thread fromMain = Thread.ofVirtual().start(() -> add(seen, "from-main"));
        fromMain.join();
        Thread platform = Thread.ofPlatform().start(() -> {
            try {
                Thread v = Thread.startVirtualThread(() -> {
                    add(seen, "from-platform");
                    Thread child = Thread.ofVirtual().start(() -> add(seen, "from-virtual"));
                    try {
                        child.join();
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                });
                v.join();
                try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                    ex.submit(() -> add(seen, "executor")).get();
                }
                Thread f = Thread.ofVirtual().factory().newThread(() -> add(seen, "factory"));
                f.start();
                f.join();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        platform.join();
        synchronized (seen) {
            seen.forEach(System.out::println);
        }
        // after the first virtual thread: under a patched java.base, goloom starts then (or says why not)
        System.out.println("property " + System.getProperty("goloom.virtualThreadScheduler"));
    }

    private static void add(List<String> seen, String who) {
        synchronized (seen) {
            seen.add("vt " + who + " " + Thread.currentThread());
        }
    }

    /** Timed parks of every kind, then which threads exist. */
    static void timers() throws Exception {
        int n = 200;
        CountDownLatch never = new CountDownLatch(1);
        Object monitor = new Object();
        AtomicInteger ok = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            ts.add(Thread.ofVirtual().start(() -> {
                try {
                    long t0 = System.nanoTime();
                    Thread.sleep(1 + k % 5);
                    LockSupport.parkNanos(1_000_000);
                    boolean opened = never.await(2, TimeUnit.MILLISECONDS);
                    synchronized (monitor) {
                        monitor.wait(2);
                    }
                    if (!opened && System.nanoTime() - t0 >= 5_000_000L) {
                        ok.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (Thread t : ts) {
            t.join();
        }
        System.out.println("timed parks ok " + ok.get() + "/" + n);
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            System.out.println("thread " + t.getName());
        }
    }

    /**
     * Thread.yield() in a virtual thread lets the others queued on its P run: with one P, a
     * thread that yields until another sets a flag must see the flag. (A yield that re-queued
     * the thread into runnext would run it again at once, forever.)
     */
    static void yieldHandsOver() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean flag = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicInteger yields = new AtomicInteger();
        Thread a = Thread.ofVirtual().start(() -> {
            Thread b = Thread.ofVirtual().start(() -> flag.set(true));
            while (!flag.get()) {
                yields.incrementAndGet();
                Thread.yield();
            }
            try {
                b.join();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        a.join();
        System.out.println("yield handed over after " + yields.get() + " yields");
    }

    /**
     * With one P and nothing else in its ring, Thread.yield() puts the thread behind work queued
     * globally (here B, started by this platform thread while A ran), as the JDK's scheduler does
     * (OpenJDK's YieldQueuing): A, B, A. Filed at the tail of its own empty ring, A ran again at
     * once: A, A, B. B is started only once A runs, so it cannot be in A's ring already.
     */
    static void yieldGoesBehindGlobalWork() throws Exception {
        java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean go = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        Thread a = Thread.ofVirtual().start(() -> {
            running.countDown();
            while (!go.get()) {
                Thread.onSpinWait(); // holds the one P: B waits on the global queue
            }
            order.add("A");
            Thread.yield();
            order.add("A");
        });
        running.await();
        Thread b = Thread.ofVirtual().start(() -> order.add("B"));
        go.set(true);
        a.join();
        b.join();
        System.out.println("yield order " + order);
    }

    /** ForkJoinWorkerThread.hasKnownQueuedWork() as LinkedTransferQueue asks it, on a goloom carrier. */
    /**
     * Mounts submitted by a platform thread (as the JDK's HttpServer dispatcher starts a virtual
     * thread per exchange): once warm, they reuse slots instead of allocating one each.
     */
    static void external() throws Exception {
        for (int i = 0; i < 2_000; i++) { // warm: the carriers' caches fill and overflow into the spare list
            Thread.ofVirtual().start(() -> { }).join();
        }
        CarrierPool pool = carrierPool();
        long before = pool.slotsMade.sum();
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            Thread.ofVirtual().start(() -> { }).join();
        }
        System.out.println("external slots made " + (pool.slotsMade.sum() - before) + " of " + n);
    }

    /** The CarrierPool the JDK's virtual threads run on (VirtualThread.DEFAULT_SCHEDULER). */
    static CarrierPool carrierPool() throws Exception {
        java.lang.reflect.Field f = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
        f.setAccessible(true);
        return (CarrierPool) f.get(null);
    }

    static void spin() throws Exception {
        Method known = ForkJoinWorkerThread.class.getDeclaredMethod("hasKnownQueuedWork");
        known.setAccessible(true);
        Thread a = Thread.ofVirtual().start(() -> {
            try {
                CountDownLatch started = new CountDownLatch(1);
                // with one P, b waits in this P's run queue until a parks
                Thread b = Thread.ofVirtual().start(started::countDown);
                System.out.println("queued " + known.invoke(null));
                started.await();
                b.join();
                System.out.println("empty " + known.invoke(null));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        a.join();
        System.out.println("platform " + known.invoke(null));
    }

    /**
     * Ordinary virtual-thread work for {@code millis}: socket echo through the JDK's own
     * poller, parks and unparks, sleeps, short CPU bursts and one 50 ms CPU hog at a time;
     * prints the most goloom carriers seen at once, sampled by a platform thread.
     */
    static void bounded(int millis) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000L;
        AtomicInteger maxCarriers = new AtomicInteger();
        AtomicInteger maxBlocked = new AtomicInteger();
        GoRuntime rt = GoRuntime.getDefault();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            int previous = 0;
            while (!Thread.currentThread().isInterrupted()) {
                int blocked = rt.blockedCarriers();
                int c = 0;
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    // An M that retired says so in its name (set under sched.lock with the
                    // retirement): it is on its way out, not a carrier.
                    if (t.getName().startsWith("goloom-m") && !t.getName().endsWith(" (retired)") && t.isAlive()) {
                        c++;
                    }
                }
                int unblocked = c - Math.max(blocked, rt.blockedCarriers());
                // The thread list and the blocked count are not one snapshot: an excess counts
                // when two samples in a row see it.
                maxCarriers.accumulateAndGet(Math.min(unblocked, previous), Math::max);
                previous = unblocked;
                maxBlocked.accumulateAndGet(blocked, Math::max);
                LockSupport.parkNanos(1_000_000);
            }
        });
        List<Thread> ts = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress())) {
            ts.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> echo(s));
                    } catch (Exception e) {
                        return;
                    }
                }
            }));
            for (int i = 0; i < 20; i++) {
                ts.add(Thread.ofVirtual().start(() -> client(server.getLocalPort(), end)));
            }
            for (int i = 0; i < 20; i++) {
                int k = i;
                ts.add(Thread.ofVirtual().start(() -> {
                    long x = 0;
                    while (System.nanoTime() < end) {
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            return;
                        }
                        for (int j = 0; j < 20_000; j++) {
                            x += j * k;
                        }
                    }
                    if (x == 42) {
                        System.out.println();
                    }
                }));
            }
            ts.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    long hogEnd = System.nanoTime() + 50_000_000L;
                    while (System.nanoTime() < hogEnd) {
                        Thread.onSpinWait();
                    }
                    Thread.yield();
                }
            }));
            for (Thread t : ts.subList(1, ts.size())) {
                t.join();
            }
            server.close();
            ts.get(0).join();
        }
        sampler.interrupt();
        sampler.join();
        System.out.println("max carriers " + maxCarriers.get());
        System.out.println("max blocked " + maxBlocked.get());
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[64];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (Exception e) {
            // the client went away
        }
    }

    private static void client(int port, long end) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] msg = new byte[32];
            byte[] back = new byte[32];
            while (System.nanoTime() < end) {
                out.write(msg);
                int got = 0;
                while (got < back.length) {
                    int n = in.read(back, got, back.length - got);
                    if (n < 0) {
                        throw new IllegalStateException("echo closed");
                    }
                    got += n;
                }
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** A -javaagent that runs before goloom's and starts a virtual thread (goloom must refuse, clearly). */
    public static final class EarlyAgent {
        private EarlyAgent() {
        }

        public static void premain(String args, Instrumentation inst) throws InterruptedException {
            Thread.ofVirtual().start(() -> { }).join();
        }
    }
}
