package io.goloom.launcher;

import io.goloom.scheduler.GoRuntime;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The child JVM's entry point: {@code Boot MainClass [args...]}, started by {@link Main} with
 * goloom's JVM flags and the application on the system class path. It runs the application's
 * {@code main} in a JDK virtual thread named "main" on the default goloom runtime
 * ({@link GoRuntime#getDefault()}, GOMAXPROCS from {@code -Dgoloom.procs}), waits for it, and
 * then behaves as the java launcher does after {@code main}:
 * <ul>
 *   <li>main returned: Boot.main returns; the JVM waits for non-daemon threads and exits 0
 *       (goloom's Ms and all virtual threads are daemons, as on a plain JVM).</li>
 *   <li>main threw: Boot.main rethrows the same throwable from the platform thread "main", so
 *       the JVM reports it exactly as for a plain main: the handler the application set on its
 *       main thread (moved to this platform "main", which is what the handler then receives),
 *       else the default handler if one is set, else "Exception in thread "main" ..."; then it
 *       waits for non-daemon threads and exits 1. The stack trace is first cut at the
 *       application's frames: the launcher's and the virtual thread's frames below
 *       {@code main} are removed from it and from its causes.</li>
 *   <li>System.exit in the application exits the JVM with that status, as usual.</li>
 * </ul>
 * Errors before main runs are reported as the java launcher reports them, with status 1.
 */
public final class Boot {
    private Boot() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("goloom: Boot needs a main class (use goloom run / java -jar goloom.jar)");
            System.exit(2);
        }
        String launcherPid = System.getProperty(Main.LAUNCHER_PID_PROPERTY);
        if (launcherPid != null) {
            dieWithLauncher(Long.parseLong(launcherPid));
        }
        String mainClassName = args[0];
        String[] appArgs = Arrays.copyOfRange(args, 1, args.length);

        Class<?> mainClass;
        try {
            mainClass = Class.forName(mainClassName, false, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            System.err.println("Error: Could not find or load main class " + mainClassName);
            System.err.println("Caused by: " + e);
            System.exit(1);
            return;
        }
        Runnable entry = entryPoint(mainClass, appArgs);
        if (entry == null) {
            System.err.println("Error: Main method not found in class " + mainClassName
                    + ", please define the main method as:\n   public static void main(String[] args)\nor:\n   void main()");
            System.exit(1);
            return;
        }

        Thread.Builder.OfVirtual builder;
        try {
            builder = GoRuntime.getDefault().virtualThreads().name("main");
        } catch (UnsupportedOperationException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        Throwable[] failure = new Throwable[1];
        Thread.UncaughtExceptionHandler[] handler = new Thread.UncaughtExceptionHandler[1];
        Thread main = builder.unstarted(() -> {
            try {
                entry.run();
            } catch (Throwable t) {
                failure[0] = t; // both published by the thread's termination (join)
                // Read it now: a terminated thread answers null.
                handler[0] = Thread.currentThread().getUncaughtExceptionHandler();
            }
        });
        main.start();
        main.join();
        Throwable t = failure[0];
        if (t != null) {
            trimLauncherFrames(t);
            // A handler the application set on its main thread applies to the platform "main"
            // that reports the failure (without one, the VT answers with its ThreadGroup, which
            // leads to the same default handler or printout as ours).
            Thread.UncaughtExceptionHandler h = handler[0];
            if (h != null && !(h instanceof ThreadGroup)) {
                Thread.currentThread().setUncaughtExceptionHandler(h);
            }
            throw t;
        }
    }

    /** The status of a process killed by SIGKILL, which is what this JVM becomes if its launcher dies. */
    private static final int KILLED = 128 + 9;

    /**
     * This JVM was started by {@link Main#launch} ({@code java -jar goloom.jar}), which only
     * waits for it: die with that launcher, as if killed with it. A launcher that is
     * terminated normally destroys this JVM and waits for it (its shutdown hook); one killed
     * by SIGKILL runs no hook, and the application would live on as an orphan. On Linux the
     * kernel does it: {@code prctl(PR_SET_PDEATHSIG, SIGKILL)} from this thread (the JVM's
     * main thread, alive as long as the JVM), which fires when the launcher's thread that
     * started this JVM (it waits for it) exits. Elsewhere, or if that call fails, a watcher on
     * the launcher's process halts this JVM when the launcher is gone (the JDK polls a
     * non-child process, so within a few seconds). Either way the launcher may already be
     * gone: then this JVM's parent is no longer it, and it stops before running anything.
     */
    static void dieWithLauncher(long launcherPid) {
        if (!parentDeathSignal()) {
            ProcessHandle.of(launcherPid).ifPresent(
                    launcher -> launcher.onExit().thenRun(() -> Runtime.getRuntime().halt(KILLED)));
        }
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        if (parent != launcherPid) {
            Runtime.getRuntime().halt(KILLED);
        }
    }

    /** Linux: {@code prctl(PR_SET_PDEATHSIG, SIGKILL)}; false where that is not available or fails. */
    private static boolean parentDeathSignal() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return false;
        }
        final int prSetPdeathsig = 1;
        final long sigkill = 9;
        try {
            Linker linker = Linker.nativeLinker();
            MemorySegment prctl = linker.defaultLookup().find("prctl").orElse(null);
            if (prctl == null) {
                return false;
            }
            MethodHandle h = linker.downcallHandle(prctl,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                    Linker.Option.firstVariadicArg(1));
            return (int) h.invokeExact(prSetPdeathsig, sigkill) == 0;
        } catch (Throwable notAvailable) {
            return false; // e.g. native access not enabled: the watcher does it
        }
    }

    /**
     * The main method as the java launcher (JDK 25, JEP 512) picks it: a non-private
     * {@code main(String[])} if there is one, else a non-private {@code main()}; static, or an
     * instance method of a new instance made with the non-private no-argument constructor.
     * Returns null when there is none.
     */
    static Runnable entryPoint(Class<?> c, String[] args) {
        Method m = findMain(c, true);
        if (m == null) {
            m = findMain(c, false);
        }
        if (m == null) {
            return null;
        }
        boolean withArgs = m.getParameterCount() == 1;
        boolean isStatic = Modifier.isStatic(m.getModifiers());
        MethodHandle mh;
        Constructor<?> ctor = null;
        try {
            m.setAccessible(true); // a package-private class or method is allowed (JEP 512)
            mh = MethodHandles.lookup().unreflect(m).asFixedArity(); // main(String...) takes the array as is
            if (!isStatic) {
                ctor = c.getDeclaredConstructor();
                if (Modifier.isPrivate(ctor.getModifiers())) {
                    return null;
                }
                ctor.setAccessible(true);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
        Constructor<?> newInstance = ctor;
        return () -> {
            try {
                if (isStatic) {
                    if (withArgs) {
                        mh.invoke(args);
                    } else {
                        mh.invoke();
                    }
                } else {
                    Object app = newInstance.newInstance();
                    if (withArgs) {
                        mh.invoke(app, args);
                    } else {
                        mh.invoke(app);
                    }
                }
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw sneaky(e.getCause()); // the constructor threw
            } catch (Throwable e) {
                throw sneaky(e);
            }
        };
    }

    private static Method findMain(Class<?> c, boolean withArgs) {
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            try {
                Method m = withArgs ? k.getDeclaredMethod("main", String[].class) : k.getDeclaredMethod("main");
                if (!Modifier.isPrivate(m.getModifiers()) && m.getReturnType() == void.class) {
                    return m;
                }
            } catch (NoSuchMethodException e) {
                // look in the superclass
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * Cuts, in {@code t} and every cause and suppressed exception, the frames from the first
     * frame of this class down: what remains is what a plain JVM would print for the same
     * failure in main. Throwables created elsewhere (another thread) have no Boot frame and
     * are left alone.
     */
    static void trimLauncherFrames(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        trim(t, seen);
    }

    private static void trim(Throwable t, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return;
        }
        StackTraceElement[] st = t.getStackTrace();
        int cut = -1;
        for (int i = 0; i < st.length; i++) {
            if (st[i].getClassName().startsWith(Boot.class.getName())) {
                cut = i;
                break;
            }
        }
        if (cut >= 0) {
            // Also drop the invocation machinery just above Boot (method handles, reflection).
            while (cut > 0 && isInvocationFrame(st[cut - 1])) {
                cut--;
            }
            t.setStackTrace(Arrays.copyOf(st, cut));
        }
        trim(t.getCause(), seen);
        for (Throwable s : t.getSuppressed()) {
            trim(s, seen);
        }
    }

    private static boolean isInvocationFrame(StackTraceElement e) {
        String c = e.getClassName();
        return c.startsWith("java.lang.invoke.") || c.startsWith("jdk.internal.reflect.")
                || c.equals("java.lang.reflect.Method") || c.equals("java.lang.reflect.Constructor");
    }
}
