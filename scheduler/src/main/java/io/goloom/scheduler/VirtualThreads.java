package io.goloom.scheduler;

import io.goloom.core.G;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * JDK virtual threads whose carriers are a goloom runtime's Ms (DESIGN.md section 6,
 * "virtual-thread mode").
 *
 * <h2>How</h2>
 * JDK 25 still has the package-private constructor {@code ThreadBuilders.VirtualThreadBuilder(Executor)}
 * ("invoked by tests"): the threads of such a builder hand every mount of their continuation
 * ({@code VirtualThread::runContinuation}) to that Executor. We pass one whose
 * {@link #execute} queues the Runnable as a direct task in the runtime's run queues
 * ({@code DirectTasks.submitTask}): into the caller's runnext when the wake-up comes from a
 * goroutine or virtual thread running on one of our Ps, else into the global queue with a
 * wakep. A virtual thread therefore competes with native Gs for the same Ps, is stolen like
 * them, and a carrier blocked by a pinned virtual thread gets its P handed off by sysmon.
 * The builder is the JDK's own ({@code Thread.Builder.OfVirtual} is sealed), reached with
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}; when that fails, {@link #of} and the
 * builder methods throw one {@link UnsupportedOperationException} that says why, naming the
 * JDK version and the flag. Nothing else in goloom depends on this class: native goroutines
 * keep working.
 *
 * <p>A virtual thread created <em>by a virtual thread</em> without an explicit scheduler
 * inherits its creator's scheduler ({@code VirtualThread.<init>}): once an application's
 * {@code main} runs on goloom, every {@code Thread.ofVirtual()} it calls from virtual threads
 * runs here too, and is accounted here too (accounting lives in the Executor, not the builder).
 *
 * <h2>Accounting: which virtual threads are alive on this runtime</h2>
 * The Executor only ever sees {@code runContinuation} Runnables. Each is a bound method
 * reference whose one captured field is its VirtualThread; {@link #THREAD_OF} reads it (found
 * once, by probing an unstarted thread, and checked against it). Per submission:
 * <pre>
 *  execute(r):   t = THREAD_OF(r); g = live.get(t)          (lock-free for every mount but the first)
 *                if absent: g = a direct-task G over Mount(r, t), live.putIfAbsent(t, g)
 *                queue g (DirectTasks.submitMount: the same G at every mount, no allocation)
 *                then, on the carrier, after r.run():
 *                  if t.getState() == TERMINATED: live.remove(t)
 * </pre>
 * Two carriers may both see TERMINATED (a run that parked returns late, after another carrier
 * ran the thread to its end): {@code remove} answers true to one of them only. A submission
 * after termination (the JDK re-submits a thread after taking its stack trace) re-adds it; the
 * run that follows, a no-op, removes it again. {@link #liveCount} also drops terminated threads
 * whose last carrier has not yet got round to it, so a count taken after {@code join()} is
 * exact. Cost per mount: one field read, one lock-free hash lookup, one state read; the G is
 * made once per thread and reused, as transparent mode's CarrierPool does (the JDK submits a
 * thread again only after its previous mount yielded, so the G is on one queue at a time).
 *
 * <h2>Rejected designs</h2>
 * (1) Counting in a wrapper around each thread's task: only possible for threads made by our
 * own ThreadFactory; the sealed builder cannot wrap, and inherited threads never pass through
 * either. (2) A private JDK ThreadContainer (it has onStart/onExit): threads join a container
 * only through {@code JavaLangAccess.start(thread, container)}, which the JDK builder does not
 * call. (3) Reading the thread's private state word to detect its first submission: one more
 * JDK-internal field and its constants, to save a hash lookup.
 */
final class VirtualThreads implements Executor {

    /** The flag the builder needs; launcher, surefire and goloom's jar manifests pass it. */
    static final String OPENS_FLAG = "--add-opens java.base/java.lang=ALL-UNNAMED";
    /** The JDK-internal builder with the Executor constructor. */
    static final String BUILDER_CLASS = "java.lang.ThreadBuilders$VirtualThreadBuilder";

    /** Either the builder's constructor or why there is none; computed once. */
    private static final class Support {
        static final MethodHandle NEW_BUILDER;
        static final UnsupportedOperationException FAILURE;
        static {
            MethodHandle mh = null;
            UnsupportedOperationException failure = null;
            try {
                mh = lookupBuilder(BUILDER_CLASS);
                // The constructor itself refuses when the VM has no continuations
                // (-XX:-VMContinuations): try it once here so the failure is reported early.
                Object probe = mh.invoke((Executor) r -> { });
                if (!(probe instanceof Thread.Builder.OfVirtual)) {
                    throw unsupported(BUILDER_CLASS + " did not make a Thread.Builder.OfVirtual", null);
                }
            } catch (UnsupportedOperationException e) {
                failure = e.getMessage() != null && e.getMessage().startsWith("goloom:")
                        ? e : unsupported(BUILDER_CLASS + "(Executor) refused: this JVM does not support continuations"
                                + " for virtual threads with a custom scheduler (" + e + ")", e);
                mh = null;
            } catch (Throwable t) {
                failure = unsupported("creating the builder failed: " + t, t);
                mh = null;
            }
            NEW_BUILDER = mh;
            FAILURE = failure;
        }
    }

    /**
     * Finds the (Executor) constructor of the builder class {@code className}. Package-private
     * so tests can drive the failure path with a class that does not exist.
     *
     * @throws UnsupportedOperationException naming the JDK version and the flag, when the
     *         class or constructor is missing or not accessible
     */
    static MethodHandle lookupBuilder(String className) {
        Constructor<?> ctor;
        try {
            Class<?> c = Class.forName(className, false, null); // a java.base class: boot loader
            ctor = c.getDeclaredConstructor(Executor.class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw unsupported(className + "(Executor) does not exist in this JDK", e);
        }
        try {
            ctor.setAccessible(true);
            return MethodHandles.lookup().unreflectConstructor(ctor)
                    .asType(MethodType.methodType(Object.class, Executor.class));
        } catch (InaccessibleObjectException | IllegalAccessException | SecurityException e) {
            throw unsupported(className + "(Executor) is not accessible: java.lang is not opened to goloom", e);
        }
    }

    static UnsupportedOperationException unsupported(String why, Throwable cause) {
        return new UnsupportedOperationException("goloom: JDK virtual threads cannot run on goloom's carriers on JDK "
                + Runtime.version() + ": " + why + ". goloom needs " + BUILDER_CLASS + "(Executor) (JDK 21 to 25)"
                + " and the JVM flag " + OPENS_FLAG + " (goloom's launcher and jars pass it; "
                + io.goloom.core.JvmFlags.HINT + ")."
                + " Native goroutines (GoRuntime.go) are not affected.", cause);
    }

    /** Throws the one clear exception if this JDK refuses; otherwise returns. */
    static void checkSupported() {
        if (Support.FAILURE != null) {
            // A fresh exception per call (a shared one would carry the first caller's stack),
            // with the original, and its cause, attached.
            UnsupportedOperationException e = new UnsupportedOperationException(Support.FAILURE.getMessage(), Support.FAILURE);
            throw e;
        }
    }

    /**
     * Reads the VirtualThread out of its {@code runContinuation} Runnable; null when this JDK's
     * Runnable does not look as expected (then no accounting, see {@link #tracking()}).
     */
    private static final class Identify {
        static final MethodHandle THREAD_OF = find();

        private static MethodHandle find() {
            if (Support.FAILURE != null) {
                return null;
            }
            try {
                Thread probe = ((Thread.Builder.OfVirtual) Support.NEW_BUILDER.invoke((Executor) r -> { }))
                        .unstarted(() -> { });
                Field rcField = probe.getClass().getDeclaredField("runContinuation");
                rcField.setAccessible(true);
                Runnable rc = (Runnable) rcField.get(probe);
                Field captured = null;
                for (Field f : rc.getClass().getDeclaredFields()) {
                    if (Thread.class.isAssignableFrom(f.getType())) {
                        if (captured != null) {
                            return null; // ambiguous: not the shape we know
                        }
                        captured = f;
                    }
                }
                if (captured == null) {
                    return null;
                }
                captured.setAccessible(true);
                MethodHandle mh = MethodHandles.lookup().unreflectGetter(captured)
                        .asType(MethodType.methodType(Thread.class, Runnable.class));
                return (Thread) mh.invokeExact(rc) == probe ? mh : null;
            } catch (Throwable t) {
                return null;
            }
        }
    }

    static final MethodHandle THREAD_OF = Identify.THREAD_OF;

    /** Is per-thread accounting available on this JDK? */
    static boolean tracking() {
        return THREAD_OF != null;
    }

    // ------------------------------------------------------------------------------------
    // One instance per runtime

    /**
     * The instance of each runtime. Weak keys; the values hold their runtime only weakly, so a
     * runtime that is no longer referenced (its Ms have exited) is collected with its entry.
     * Guarded by its own monitor (synchronizedMap); touched only when a builder, factory or
     * count is asked for, never per mount.
     */
    private static final Map<GoRuntime, VirtualThreads> BY_RUNTIME = Collections.synchronizedMap(new WeakHashMap<>());

    /** The runtime; weak, see BY_RUNTIME. While its Ms run they keep it reachable (M.sched.runtime). */
    private final WeakReference<GoRuntime> runtime;
    /** Immutable, for messages. */
    private final String runtimeName;
    /** Virtual threads started on this runtime and not seen terminated, with their mount G. */
    private final ConcurrentHashMap<Thread, G> live = new ConcurrentHashMap<>();

    private VirtualThreads(GoRuntime rt) {
        this.runtime = new WeakReference<>(rt);
        this.runtimeName = rt.name();
    }

    /**
     * The virtual-thread side of {@code rt}.
     *
     * @throws UnsupportedOperationException if this JDK refuses custom virtual-thread schedulers
     */
    static VirtualThreads of(GoRuntime rt) {
        checkSupported();
        return BY_RUNTIME.computeIfAbsent(rt, VirtualThreads::new);
    }

    /** The instance of {@code rt} if one was ever made, else null (no exception). */
    static VirtualThreads peek(GoRuntime rt) {
        return Support.FAILURE != null ? null : BY_RUNTIME.get(rt);
    }

    /** A new JDK builder whose threads run on this runtime. Builders are not thread-safe: one per use. */
    Thread.Builder.OfVirtual builder() {
        try {
            return (Thread.Builder.OfVirtual) Support.NEW_BUILDER.invoke((Executor) this);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw unsupported("creating the builder failed: " + t, t);
        }
    }

    /**
     * The carrier scheduler of this runtime's virtual threads: queues one mount of a virtual
     * thread's continuation. Called by the JDK (VirtualThread.submitRunContinuation), with the
     * submitting virtual thread pinned if it is one.
     *
     * @throws RejectedExecutionException when the runtime is closed (the JDK then fails the
     *         thread's start or leaves it parked)
     */
    @Override
    public void execute(Runnable runContinuation) {
        GoRuntime rt = runtime.get();
        if (rt == null) {
            throw new RejectedExecutionException("goloom: runtime " + runtimeName + " is gone; virtual thread not scheduled");
        }
        Thread vt = threadOf(runContinuation);
        if (vt == null) {
            rt.sched.directTasks.submitTask(runContinuation);
            return;
        }
        // get() first: a lock-free read for the common case (a resume, not a start), where
        // putIfAbsent could lock a hash bin.
        G g = live.get(vt);
        boolean added = false;
        if (g == null) {
            G fresh = G.directTask(0, new Mount(runContinuation, vt, live), rt.sched);
            fresh.markRunnable(); // a mount G's status stays RUNNABLE (see CarrierPool.Mount)
            G prev = live.putIfAbsent(vt, fresh);
            added = prev == null;
            g = added ? fresh : prev;
        }
        try {
            rt.sched.directTasks.submitMount(g, io.goloom.core.Carrier.current() instanceof M m && m.task == g);
        } catch (RejectedExecutionException e) {
            if (added) {
                live.remove(vt, g);
            }
            throw e;
        }
    }

    private static Thread threadOf(Runnable runContinuation) {
        MethodHandle mh = THREAD_OF;
        if (mh == null) {
            return null;
        }
        try {
            return (Thread) mh.invokeExact(runContinuation);
        } catch (Throwable t) {
            return null; // not a runContinuation (cannot happen with the JDK's own builder)
        }
    }

    /** The mounts of one virtual thread, run on an M's stack as a direct task. */
    private record Mount(Runnable runContinuation, Thread vt, Map<Thread, G> live) implements Runnable {
        @Override
        public void run() {
            try {
                runContinuation.run();
            } finally {
                if (vt.getState() == Thread.State.TERMINATED) {
                    live.remove(vt); // false for all but one carrier: see the class comment
                }
            }
        }
    }

    /** Live virtual threads of this runtime (started, not terminated), or -1 without tracking. */
    int liveCount() {
        if (!tracking()) {
            return -1;
        }
        prune();
        return live.size();
    }

    /** Snapshot of the live virtual threads with their stacks. */
    List<VirtualThreadInfo> dump() {
        prune();
        List<VirtualThreadInfo> out = new ArrayList<>(live.size());
        for (Thread t : live.keySet()) {
            StackTraceElement[] stack = t.getStackTrace();
            Thread.State s = t.getState();
            if (s != Thread.State.TERMINATED) {
                out.add(new VirtualThreadInfo(t.threadId(), t.getName(), s, List.of(stack)));
            }
        }
        out.sort((a, b) -> Long.compare(a.threadId(), b.threadId()));
        return out;
    }

    /** Drops threads that terminated but whose last carrier has not yet removed them. */
    private void prune() {
        for (Thread t : live.keySet()) {
            if (t.getState() == Thread.State.TERMINATED) {
                live.remove(t);
            }
        }
    }
}
