package io.goloom.bench.compare;

import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.Callable;

/** Small helpers the workloads share: run a body as a goloom main goroutine, or in a virtual thread. */
final class Tasks {
    private Tasks() {
    }

    /** This JVM's java binary: load-client processes run with the same one. */
    static String thisJava() {
        return ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + java.io.File.separator + "bin" + java.io.File.separator + "java");
    }

    /** This JVM's class path (under surefire: the test class path), for load-client processes. */
    static String thisClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /** Runs {@code main} as the main goroutine of a fresh runtime with {@code procs} Ps, closes the runtime, returns main's result. */
    static <T> T goloomMain(int procs, Callable<T> main) throws Exception {
        try (GoRuntime rt = GoRuntime.create(procs)) {
            Object[] result = new Object[1];
            rt.run(() -> {
                try {
                    result[0] = main.call();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            @SuppressWarnings("unchecked")
            T t = (T) result[0]; // published by run()'s latch
            return t;
        }
    }

    /** Starts virtual threads. */
    interface VtStarter {
        Thread start(Runnable task);
    }

    /** Plain {@code Thread.ofVirtual().start}: whichever scheduler this JVM's virtual threads use. */
    static final VtStarter STOCK = task -> Thread.ofVirtual().start(task);

    /**
     * Runs {@code body} with this JVM's virtual threads, for VTHREADS and GOLOOM_VT alike: the
     * code is the same, and what differs is the child JVM (goloom-vt's runs with goloom's
     * transparent-mode agent, so the same {@code Thread.ofVirtual()} threads run on goloom;
     * see {@link TransparentMode}).
     */
    static <T> T withVirtualThreads(SystemKind system, int procs, VtBody<T> body) throws Exception {
        if (system != SystemKind.VTHREADS && system != SystemKind.GOLOOM_VT) {
            throw new IllegalArgumentException("not a virtual-thread system: " + system);
        }
        return body.run(STOCK);
    }

    interface VtBody<T> {
        T run(VtStarter vts) throws Exception;
    }

    /** Runs {@code main} in a new virtual thread, waits for it, returns its result or rethrows what it threw. */
    static <T> T virtualMain(Callable<T> main) throws Exception {
        return virtualMain(STOCK, main);
    }

    /** {@link #virtualMain(Callable)} on the given virtual threads. */
    static <T> T virtualMain(VtStarter vts, Callable<T> main) throws Exception {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread t = vts.start(() -> {
            try {
                result[0] = main.call();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.join(); // publishes result[0] and failure[0]
        if (failure[0] instanceof Exception e) {
            throw e;
        }
        if (failure[0] instanceof Error e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        T r = (T) result[0];
        return r;
    }
}
