package io.goloom.bench.compare;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * The {@code goloom-vt} system: stock virtual-thread code in a child JVM started with goloom's
 * transparent-mode agent ({@code -javaagent:goloom-bench.jar=scheduler,procs=P}), which makes
 * every virtual thread of the JVM run on goloom's default runtime. The workload code is the
 * {@code vthreads} code, byte for byte; only the scheduler under it differs.
 *
 * <p>Because a silently missing or refusing agent would publish stock numbers under goloom's
 * name, every goloom-vt child {@link #verify verifies} before it measures that its virtual
 * threads really run on goloom, and fails the run otherwise (vthreads children verify the
 * opposite).
 */
final class TransparentMode {
    private TransparentMode() {
    }

    /** The agent entry the coordinator's scheduler module provides (issue 13). */
    static final String AGENT_CLASS = "io.goloom.scheduler.SchedulerAgent";
    /** Set by the agent to {@code goloom} or {@code stock}. */
    static final String SCHEDULER_PROPERTY = "goloom.virtualThreadScheduler";
    /** A virtual thread's toString ends {@code @<carrier name>}: goloom's carriers are {@code goloom-m<N>}. */
    static final String GOLOOM_CARRIER = "@goloom-m";
    /** Stock virtual threads' carriers: the JDK's scheduler, {@code ForkJoinPool-1-worker-<N>}. */
    static final String STOCK_CARRIER = "@ForkJoinPool-";
    /** Carrier thread names, either scheduler. (The common pool, {@code ForkJoinPool.commonPool-worker-N}, is not one.) */
    static final Pattern CARRIER_NAME = Pattern.compile("goloom-m\\d+|ForkJoinPool-\\d+-worker-\\d+");

    /** Why goloom-vt cannot run yet (the agent class is not in this build), or null. */
    static String skipReason() {
        try {
            Class.forName(AGENT_CLASS, false, TransparentMode.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException e) {
            return "needs goloom's transparent-mode agent (" + AGENT_CLASS + ", not in this build)";
        }
    }

    /** The agent option for a goloom-vt child JVM. */
    static String agentOption(Path agentJar, int procs) {
        return "-javaagent:" + agentJar + "=scheduler,procs=" + procs;
    }

    /**
     * The jar to pass to {@code -javaagent}: the child class path itself when it is one jar (the
     * shaded bench jar, whose manifest names the agent); otherwise (the tests, which run from
     * class directories) a jar holding only that manifest, written into {@code scratchDir}: the
     * JVM loads the agent class from the class path, where the directories already have it.
     */
    static Path agentJar(String classpath, Path scratchDir) throws IOException {
        if (!classpath.contains(File.pathSeparator) && classpath.endsWith(".jar")) {
            return Path.of(classpath).toAbsolutePath();
        }
        Path jar = scratchDir.resolve("goloom-agent-manifest.jar");
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Premain-Class", AGENT_CLASS);
        a.putValue("Agent-Class", AGENT_CLASS);
        a.putValue("Can-Retransform-Classes", "true");
        a.putValue("Add-Exports", "java.base/jdk.internal.vm java.base/jdk.internal.access java.base/jdk.internal.misc");
        a.putValue("Add-Opens", "java.base/java.lang java.base/java.util.concurrent");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return jar;
    }

    /**
     * Fails loudly unless this JVM's virtual threads run where {@code system} says: on goloom's
     * carriers for goloom-vt (the agent's property says so, and a virtual thread started here,
     * from a platform thread, reports a {@code goloom-m} carrier), on the JDK's ForkJoinPool for
     * vthreads. Other systems: nothing to check.
     */
    static void verify(SystemKind system) throws InterruptedException {
        if (system != SystemKind.GOLOOM_VT && system != SystemKind.VTHREADS) {
            return;
        }
        String prop = System.getProperty(SCHEDULER_PROPERTY);
        String[] seen = new String[1];
        Thread t = Thread.ofVirtual().start(() -> seen[0] = Thread.currentThread().toString());
        t.join(); // publishes seen[0]
        if (system == SystemKind.GOLOOM_VT) {
            if (!"goloom".equals(prop) || !seen[0].contains(GOLOOM_CARRIER)) {
                throw new IllegalStateException("goloom-vt: this JVM's virtual threads do not run on goloom ("
                        + SCHEDULER_PROPERTY + "=" + prop + ", a virtual thread started from main is " + seen[0]
                        + "); the child needs -javaagent:<goloom-bench.jar>=scheduler,procs=P and an agent that"
                        + " takes over (see its 'goloom:' line on stderr)");
            }
        } else if ("goloom".equals(prop) || !seen[0].contains(STOCK_CARRIER)) {
            throw new IllegalStateException("vthreads: this JVM's virtual threads are not the JDK's stock ones ("
                    + SCHEDULER_PROPERTY + "=" + prop + ", a virtual thread started from main is " + seen[0] + ")");
        }
    }

    /** Whether the current thread is a virtual thread on the carrier {@code system} expects. */
    static boolean onExpectedCarrier(SystemKind system, String threadToString) {
        return threadToString.contains(system == SystemKind.GOLOOM_VT ? GOLOOM_CARRIER : STOCK_CARRIER);
    }

    /** The live carrier threads of this JVM, either scheduler's (thread names; no stacks are taken). */
    static int countCarriers() {
        var mx = ManagementFactory.getThreadMXBean();
        int n = 0;
        for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds(), 0)) {
            if (ti != null && CARRIER_NAME.matcher(ti.getThreadName()).matches()) {
                n++;
            }
        }
        return n;
    }
}
