package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.ChildJvm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Transparent mode ({@code -javaagent:...=scheduler}) end to end, in child JVMs running an
 * ordinary program ({@link TransparentTarget}). The agent jar here is a manifest only: its
 * Premain-Class is found on the child's class path (the test classes and goloom's modules).
 */
class TransparentModeTest {

    @TempDir
    static Path dir;
    static String agent;
    static String early;

    @BeforeAll
    static void agentJars() throws IOException {
        agent = jar("goloom-agent.jar", SchedulerAgent.class.getName());
        early = jar("early-agent.jar", TransparentTarget.EarlyAgent.class.getName());
    }

    private static String jar(String name, String premain) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Premain-Class", premain);
        a.putValue("Can-Retransform-Classes", "true");
        Path p = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(p); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.flush();
        }
        return p.toString();
    }

    /** The two ways into transparent mode. */
    enum Way {
        /** {@code -javaagent:goloom.jar=scheduler,procs=N}: a user's own launch. */
        AGENT,
        /** {@code --patch-module java.base=...}: ./goloom run's and compare's (PatchedJavaBase). */
        PATCHED_JAVA_BASE
    }

    /** The child's options for transparent mode with {@code procs} Ps, the way given. */
    static List<String> transparent(Way way, int procs) throws IOException {
        if (way == Way.AGENT) {
            return List.of("-javaagent:" + agent + "=scheduler,procs=" + procs);
        }
        return PatchedJavaBase.jvmOptions(PatchedJavaBase.goloomLocation(), procs);
    }

    private static ChildJvm.Result run(Way way, int procs, String... args) throws Exception {
        List<String> opts = new java.util.ArrayList<>(transparent(way, procs));
        opts.addAll(List.of("--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED"));
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, opts, List.of(args), 120);
        assertTrue(r.finished(), "child did not finish:\n" + r.output());
        return r;
    }

    private static List<String> lines(ChildJvm.Result r, String prefix) {
        return r.output().lines().filter(l -> l.startsWith(prefix)).toList();
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void everyVirtualThreadRunsOnGoloomWhoeverCreatesIt(Way way) throws Exception {
        ChildJvm.Result r = run(way, 2, "carriers");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(way == Way.AGENT ? List.of("goloom: virtual threads run on goloom (procs=2, JDK " + Runtime.version() + ")") : List.of(),
                lines(r, "goloom:"), "the agent prints one line naming the scheduler (for a patched java.base, the launcher does):\n" + r.output());
        assertEquals(List.of("property goloom"), lines(r, "property"));
        assertEquals(List.of("main false main"), lines(r, "main "), "main stays on the main thread");
        List<String> vts = lines(r, "vt ");
        assertEquals(5, vts.size(), r.output());
        for (String who : List.of("from-main", "from-platform", "from-virtual", "executor", "factory")) {
            assertTrue(vts.stream().anyMatch(l -> l.startsWith("vt " + who + " ") && l.contains("@goloom-m")),
                    who + " did not run on a goloom carrier:\n" + r.output());
        }
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void timedParksFireFromGoloomsTimersWithoutTheJdksThreads(Way way) throws Exception {
        ChildJvm.Result r = run(way, 2, "timers");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("timed parks ok 200/200"), lines(r, "timed parks"), r.output());
        List<String> threads = lines(r, "thread ");
        assertTrue(threads.stream().noneMatch(l -> l.contains("VirtualThread-unparker") || l.contains("ForkJoinPool")),
                "the JDK's scheduler or unparker threads exist:\n" + String.join("\n", threads));
        assertTrue(threads.stream().anyMatch(l -> l.startsWith("thread goloom-m")), r.output());
    }

    /** The JDK's VirtualThreadSchedulerMXBean.setParallelism resizes goloom (it threw UnsupportedOperationException before). */
    @ParameterizedTest
    @EnumSource(Way.class)
    void theJdksSchedulerMxBeanSetsGomaxprocs(Way way) throws Exception {
        ChildJvm.Result r = run(way, 2, "parallelism");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("parallelism 2"), lines(r, "parallelism"), r.output());
        assertEquals(List.of("set 3 now 3 ran 1000", "set 1 now 1 ran 1000"), lines(r, "set "), r.output());
        assertEquals(List.of("bad refused 1"), lines(r, "bad "), r.output());
    }

    /**
     * The JDK's VirtualThreadSchedulerMXBean counts goloom's mounted and queued virtual threads
     * (it read 0 and 0 before: ForkJoinPool's own statistics of a pool with no workers).
     */
    @ParameterizedTest
    @EnumSource(Way.class)
    void theJdksSchedulerMxBeanCountsMountedAndQueuedThreads(Way way) throws Exception {
        ChildJvm.Result r = run(way, 2, "counts");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("counts self mounted 1", "counts busy mounted 2 queued 5", "counts idle mounted 0 queued 0"),
                lines(r, "counts "), r.output());
    }

    /**
     * Without goloom's own procs setting, the JDK's settings of its scheduler's size apply:
     * parallelism, capped by maxPoolSize (as the JDK caps it), maxPoolSize alone capping the
     * default; goloom's setting wins over both; a bad value is named and ignored.
     */
    @ParameterizedTest
    @EnumSource(Way.class)
    void theJdksParallelismPropertiesSizeGoloomUnlessProcsIsGiven(Way way) throws Exception {
        assertEquals("procs 3", procs(way, null, "-Djdk.virtualThreadScheduler.parallelism=3"));
        assertEquals("procs 2", procs(way, null, "-Djdk.virtualThreadScheduler.parallelism=3", "-Djdk.virtualThreadScheduler.maxPoolSize=2"));
        assertEquals("procs 1", procs(way, null, "-Djdk.virtualThreadScheduler.maxPoolSize=1"));
        assertEquals("procs 2", procs(way, 2, "-Djdk.virtualThreadScheduler.parallelism=3"));
        List<String> opts = new java.util.ArrayList<>(transparentWithoutProcs(way));
        opts.add("-Djdk.virtualThreadScheduler.parallelism=many");
        ChildJvm.Result bad = ChildJvm.run(TransparentTarget.class, opts, List.of("procs"), 60);
        assertTrue(bad.output().contains("goloom: ignoring -Djdk.virtualThreadScheduler.parallelism=many: not a positive integer"), bad.output());
        assertEquals(0, bad.exitValue(), bad.output());
    }

    /** transparent(way, procs) without goloom's own procs setting when procs is null. */
    private static List<String> transparentWithoutProcs(Way way) throws IOException {
        if (way == Way.AGENT) {
            return List.of("-javaagent:" + agent + "=scheduler");
        }
        return PatchedJavaBase.jvmOptions(PatchedJavaBase.goloomLocation(), null);
    }

    private static String procs(Way way, Integer procs, String... jdkProperties) throws Exception {
        List<String> opts = new java.util.ArrayList<>(procs == null ? transparentWithoutProcs(way) : transparent(way, procs));
        opts.addAll(List.of(jdkProperties));
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, opts, List.of("procs"), 60);
        assertTrue(r.finished(), "child did not finish:\n" + r.output());
        assertEquals(0, r.exitValue(), r.output());
        List<String> l = lines(r, "procs ");
        assertEquals(1, l.size(), r.output());
        return l.get(0);
    }

    /**
     * A platform thread that starts virtual threads (the JDK HttpServer's dispatcher) reuses
     * mount slots once warm (planted: acquire without the platform thread's cache -> one slot
     * allocated per start, 10000 of 10000).
     */
    @ParameterizedTest
    @EnumSource(Way.class)
    void mountsSubmittedByAPlatformThreadReuseSlots(Way way) throws Exception {
        ChildJvm.Result r = run(way, 2, "external");
        assertEquals(0, r.exitValue(), r.output());
        List<String> made = lines(r, "external slots made ");
        assertEquals(1, made.size(), r.output());
        long n = Long.parseLong(made.get(0).split(" ")[3]);
        System.out.println("TransparentModeTest (" + way + "): " + made.get(0));
        assertTrue(n <= 2 * CarrierPool.CACHE, "slots allocated for warm dispatches from a platform thread: " + made.get(0));
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void transferQueuesSeeWorkQueuedOnTheCarriersP(Way way) throws Exception {
        ChildJvm.Result r = run(way, 1, "spin");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("queued true"), lines(r, "queued"), "a virtual thread queued behind the caller: do not spin\n" + r.output());
        assertEquals(List.of("empty false"), lines(r, "empty"), r.output());
        assertEquals(List.of("platform false"), lines(r, "platform"), r.output());
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void yieldLetsTheOtherVirtualThreadsOfItsPRun(Way way) throws Exception {
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, transparent(way, 1), List.of("yield"), 30);
        assertTrue(r.finished(), "a yielding virtual thread kept its P from the thread it waits for:\n" + r.output());
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(1, lines(r, "yield handed over after ").size(), r.output());
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void yieldWithAnEmptyRingGoesBehindGlobalWork(Way way) throws Exception {
        ChildJvm.Result r = run(way, 1, "yieldorder");
        assertEquals(List.of("yield order [A, B, A]"), lines(r, "yield order"),
                "a yield with nothing else in its P's ring must let globally queued threads run first\n" + r.output());
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void carriersStayAtProcsUnderOrdinaryVirtualThreadWork(Way way) throws Exception {
        ChildJvm.Result r = run(way, 2, "bounded", "1500");
        assertEquals(0, r.exitValue(), r.output());
        List<String> max = lines(r, "max carriers ");
        assertEquals(1, max.size(), r.output());
        int carriers = Integer.parseInt(max.get(0).substring("max carriers ".length()));
        System.out.println("TransparentModeTest (" + way + "): at most " + carriers + " goloom carriers besides the truly blocked ones for 2 Ps"
                + " under socket, park, sleep and CPU work (" + lines(r, "max blocked") + ")");
        assertTrue(carriers <= 2, "more carriers than Ps besides the blocked ones: " + carriers + "\n" + r.output());
    }

    @Test
    void refusesClearlyWhenVirtualThreadsWereUsedBeforeTheAgentAndTheAppRunsOnStock() throws Exception {
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, List.of("-javaagent:" + early,
                "-javaagent:" + agent + "=scheduler"), List.of("carriers"), 60);
        assertTrue(r.finished(), r.output());
        assertEquals(0, r.exitValue(), r.output());
        List<String> line = lines(r, "goloom:");
        assertEquals(1, line.size(), r.output());
        assertTrue(line.get(0).startsWith("goloom: virtual threads stay on the JDK's ForkJoinPool: virtual threads were already in use")
                && line.get(0).contains("JDK " + Runtime.version()), line.get(0));
        assertEquals(List.of("property stock"), lines(r, "property"));
        assertTrue(lines(r, "vt ").stream().allMatch(l -> l.contains("@ForkJoinPool")), r.output());
    }

    /**
     * A patched java.base whose goloom cannot start (its jar is gone) keeps the JDK's own
     * scheduler: one line says why, the property says stock, every virtual thread runs.
     */
    @Test
    void aPatchedJavaBaseWhoseGoloomCannotStartRunsTheAppOnStockAndSaysWhy() throws Exception {
        List<String> opts = PatchedJavaBase.jvmOptions(dir.resolve("gone.jar"), 2);
        // ChildJvm puts the test's class path on the child: the jar named must be the only goloom
        ChildJvm.Result r = ChildJvm.runWithClassPath(TransparentTarget.class, testClassesOnly(), opts, List.of("carriers"), 60);
        assertTrue(r.finished(), r.output());
        assertEquals(0, r.exitValue(), r.output());
        List<String> line = lines(r, "goloom:");
        assertEquals(1, line.size(), r.output());
        assertTrue(line.get(0).startsWith("goloom: virtual threads stay on the JDK's ForkJoinPool: starting goloom from "
                + dir.resolve("gone.jar") + " failed: java.lang.ClassNotFoundException: io.goloom.scheduler.PatchedJavaBase"), line.get(0));
        assertEquals(List.of("property stock"), lines(r, "property"));
        List<String> vts = lines(r, "vt ");
        assertEquals(5, vts.size(), r.output());
        assertTrue(vts.stream().allMatch(l -> l.contains("@ForkJoinPool")), r.output());
    }

    /**
     * A patched java.base written by another JDK build (a user's argument file kept across a JDK
     * update) does not start goloom: the JDK's scheduler runs the app, one line names both builds
     * and the fix. (Faked here: the classes are this JDK's, the hooks say another build wrote them.)
     */
    @Test
    void aPatchedJavaBaseOfAnotherJdkBuildKeepsTheJdksSchedulerAndSaysSo(@TempDir Path cache) throws Exception {
        String real = System.getProperty("java.runtime.version");
        List<String> opts;
        System.setProperty(PatchedJavaBase.CACHE_PROPERTY, cache.toString());
        System.setProperty("java.runtime.version", "25.0.0+1-other");
        try {
            opts = PatchedJavaBase.jvmOptions(PatchedJavaBase.goloomLocation(), 2);
        } finally {
            System.setProperty("java.runtime.version", real);
            System.clearProperty(PatchedJavaBase.CACHE_PROPERTY);
        }
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, opts, List.of("carriers"), 60);
        assertTrue(r.finished(), r.output());
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("goloom: virtual threads stay on the JDK's ForkJoinPool: the patched java.base was written for JDK"
                + " 25.0.0+1-other, and this is JDK " + real + ": write it again with this java (java -jar goloom.jar --print-jvm-options)"),
                lines(r, "goloom:"), r.output());
        assertEquals(List.of("property stock"), lines(r, "property"));
        assertTrue(lines(r, "vt ").stream().allMatch(l -> l.contains("@ForkJoinPool")), r.output());
    }

    /** The directory of TransparentTarget's class alone (it uses nothing of goloom's). */
    private static String testClassesOnly() throws Exception {
        return Path.of(TransparentTarget.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    @Test
    void badArgumentsStopTheJvmWithTheFix() throws Exception {
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, List.of("-javaagent:" + agent + "=schedular"), List.of("carriers"), 60);
        assertTrue(r.finished(), r.output());
        assertEquals(1, r.exitValue(), r.output());
        assertTrue(r.output().contains("goloom: unknown agent argument 'schedular'"), r.output());
    }
}
