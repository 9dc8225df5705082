package io.goloom.launcher;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Makes the application's JVM started by {@link Main#launch} ({@code java -jar goloom.jar})
 * die with that launcher, which only waits for it. A launcher that is terminated normally
 * destroys the application's JVM and waits for it (its shutdown hook); one killed by SIGKILL
 * runs no hook, and the application would live on as an orphan.
 *
 * <p>The application's JVM runs the application's own main class, so this runs as an agent,
 * before it: {@code -javaagent:<jar>=<launcher pid>,<jar>}, where the jar is written by the
 * launcher for this launch and holds only a manifest: {@code Premain-Class} names this class,
 * {@code Class-Path} names goloom.jar, where the system class loader finds it (the JVM puts an
 * agent's jar on the class path only when it starts that agent, so the scheduler agent's
 * {@code -javaagent:goloom.jar} is not enough if this agent comes first). The agent deletes that jar at once (the launcher also deletes it when
 * the application ends, in case the JVM never got this far).
 */
public final class DieWithLauncher {
    /** The status of a process killed by SIGKILL, which is what this JVM becomes if its launcher dies. */
    private static final int KILLED = 128 + 9;

    private DieWithLauncher() {
    }

    /** {@code args}: the launcher's pid, a comma, the path of this agent's jar. */
    public static void premain(String args) {
        int comma = args.indexOf(',');
        try {
            Files.deleteIfExists(Path.of(args.substring(comma + 1)));
        } catch (IOException | RuntimeException e) {
            // the launcher deletes it when the application ends
        }
        dieWith(Long.parseLong(args.substring(0, comma)));
    }

    /** The manifest-only agent jar for one launch, in java.io.tmpdir. */
    static Path writeAgentJar(Path goloomJar) throws IOException {
        Path jar = Files.createTempFile("goloom-launcher-", ".jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Premain-Class", DieWithLauncher.class.getName());
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, goloomJar.toUri().toString());
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os, m)) {
            j.finish();
        }
        return jar;
    }

    /** The agent's arguments for a JVM started by this process. */
    static String agentArgs(Path jar) {
        return ProcessHandle.current().pid() + "," + jar;
    }

    /**
     * On Linux the kernel does it: {@code prctl(PR_SET_PDEATHSIG, SIGKILL)} from this thread
     * (the JVM's main thread, which runs premain and lives as long as the JVM), which fires
     * when the launcher's thread that started this JVM (it waits for it) exits. Elsewhere, or
     * if that call fails, a watcher on the launcher's process halts this JVM when the launcher
     * is gone (the JDK polls a non-child process, so within a few seconds). Either way the
     * launcher may already be gone: then this JVM's parent is no longer it, and it stops
     * before running anything.
     */
    static void dieWith(long launcherPid) {
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
}
