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

    private static ChildJvm.Result run(String agentArgs, String... args) throws Exception {
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, List.of("-javaagent:" + agent + "=" + agentArgs,
                "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED"), List.of(args), 120);
        assertTrue(r.finished(), "child did not finish:\n" + r.output());
        return r;
    }

    private static List<String> lines(ChildJvm.Result r, String prefix) {
        return r.output().lines().filter(l -> l.startsWith(prefix)).toList();
    }

    @Test
    void everyVirtualThreadRunsOnGoloomWhoeverCreatesIt() throws Exception {
        ChildJvm.Result r = run("scheduler,procs=2", "carriers");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("goloom: virtual threads run on goloom (procs=2, JDK " + Runtime.version() + ")"),
                lines(r, "goloom:"), "exactly one line names the scheduler:\n" + r.output());
        assertEquals(List.of("property goloom"), lines(r, "property"));
        assertEquals(List.of("main false main"), lines(r, "main "), "main stays on the main thread");
        List<String> vts = lines(r, "vt ");
        assertEquals(5, vts.size(), r.output());
        for (String who : List.of("from-main", "from-platform", "from-virtual", "executor", "factory")) {
            assertTrue(vts.stream().anyMatch(l -> l.startsWith("vt " + who + " ") && l.contains("@goloom-m")),
                    who + " did not run on a goloom carrier:\n" + r.output());
        }
    }

    @Test
    void timedParksFireFromGoloomsTimersWithoutTheJdksThreads() throws Exception {
        ChildJvm.Result r = run("scheduler,procs=2", "timers");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("timed parks ok 200/200"), lines(r, "timed parks"), r.output());
        List<String> threads = lines(r, "thread ");
        assertTrue(threads.stream().noneMatch(l -> l.contains("VirtualThread-unparker") || l.contains("ForkJoinPool")),
                "the JDK's scheduler or unparker threads exist:\n" + String.join("\n", threads));
        assertTrue(threads.stream().anyMatch(l -> l.startsWith("thread goloom-m")), r.output());
    }

    /** The JDK's VirtualThreadSchedulerMXBean.setParallelism resizes goloom (it threw UnsupportedOperationException before). */
    @Test
    void theJdksSchedulerMxBeanSetsGomaxprocs() throws Exception {
        ChildJvm.Result r = run("scheduler,procs=2", "parallelism");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("parallelism 2"), lines(r, "parallelism"), r.output());
        assertEquals(List.of("set 3 now 3 ran 1000", "set 1 now 1 ran 1000"), lines(r, "set "), r.output());
        assertEquals(List.of("bad refused 1"), lines(r, "bad "), r.output());
    }

    @Test
    void transferQueuesSeeWorkQueuedOnTheCarriersP() throws Exception {
        ChildJvm.Result r = run("scheduler,procs=1", "spin");
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(List.of("queued true"), lines(r, "queued"), "a virtual thread queued behind the caller: do not spin\n" + r.output());
        assertEquals(List.of("empty false"), lines(r, "empty"), r.output());
        assertEquals(List.of("platform false"), lines(r, "platform"), r.output());
    }

    @Test
    void yieldLetsTheOtherVirtualThreadsOfItsPRun() throws Exception {
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, List.of("-javaagent:" + agent + "=scheduler,procs=1"),
                List.of("yield"), 30);
        assertTrue(r.finished(), "a yielding virtual thread kept its P from the thread it waits for:\n" + r.output());
        assertEquals(0, r.exitValue(), r.output());
        assertEquals(1, lines(r, "yield handed over after ").size(), r.output());
    }

    @Test
    void carriersStayAtProcsUnderOrdinaryVirtualThreadWork() throws Exception {
        ChildJvm.Result r = run("scheduler,procs=2", "bounded", "1500");
        assertEquals(0, r.exitValue(), r.output());
        List<String> max = lines(r, "max carriers ");
        assertEquals(1, max.size(), r.output());
        int carriers = Integer.parseInt(max.get(0).substring("max carriers ".length()));
        System.out.println("TransparentModeTest: at most " + carriers + " goloom carriers besides the truly blocked ones for 2 Ps"
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

    @Test
    void badArgumentsStopTheJvmWithTheFix() throws Exception {
        ChildJvm.Result r = ChildJvm.run(TransparentTarget.class, List.of("-javaagent:" + agent + "=schedular"), List.of("carriers"), 60);
        assertTrue(r.finished(), r.output());
        assertEquals(1, r.exitValue(), r.output());
        assertTrue(r.output().contains("goloom: unknown agent argument 'schedular'"), r.output());
    }
}
