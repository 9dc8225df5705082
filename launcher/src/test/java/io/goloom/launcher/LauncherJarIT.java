package io.goloom.launcher;

import io.goloom.testkit.Stress;
import static org.junit.jupiter.api.Assertions.*;

import io.goloom.launcher.Child.Result;
import io.goloom.launcher.fixture.BlockingApp;
import io.goloom.launcher.fixture.FailingApp;
import io.goloom.launcher.fixture.HandledApp;
import io.goloom.launcher.fixture.LingeringApp;
import io.goloom.launcher.fixture.JvmtiFlagApp;
import io.goloom.launcher.fixture.SampleApp;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * goloom.jar as this build made it (integration-test phase, after package), end to end:
 * {@code java -jar goloom.jar ...} (the launcher starting the application's JVM as its child)
 * and {@code java -javaagent:goloom.jar=scheduler ...} (plain java, the user's own launch). The
 * fixture applications are test classes that know nothing of goloom.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherJarIT {

    @TempDir
    Path tmp;

    static List<String> javaDashJar(String... args) throws Main.LaunchException {
        List<String> cmd = new ArrayList<>(List.of(Main.javaExecutable(), "-jar", Child.goloomJar().toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static List<String> plainJava(String... args) throws Main.LaunchException {
        List<String> cmd = new ArrayList<>(List.of(Main.javaExecutable()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void javaDashJarGoloomJarRunsTheAppAsJavaWouldWithEveryVirtualThreadOnGoloom() throws Exception {
        Result r = Child.run(javaDashJar("--procs", "2", "-cp", Child.APP_CP, SampleApp.class.getName(), "5", "x y"), tmp);
        Child.assertSampleAppOnGoloom(r, "5,x y");
        r.assertOnGoloom("2");
    }

    @Test
    void plainJavaWithGoloomJarAsAgentPutsEveryVirtualThreadOnGoloom() throws Exception {
        Result r = Child.run(plainJava("-javaagent:" + Child.goloomJar() + "=scheduler,procs=2",
                "-cp", Child.APP_CP, SampleApp.class.getName(), "a"), tmp);
        Child.assertSampleAppOnGoloom(r, "a");
        r.assertOnGoloom("2");
    }

    @Test
    void plainJavaWithGoloomJarAsAgentRunsAnExecutableJar() throws Exception {
        Path app = Child.sampleAppJar(tmp.resolve("app.jar"));
        Result r = Child.run(plainJava("-javaagent:" + Child.goloomJar() + "=scheduler,procs=1", "-jar", app.toString(), "j"), tmp);
        Child.assertSampleAppOnGoloom(r, "j");
        r.assertOnGoloom("1");
    }

    /**
     * main returns after starting a non-daemon platform thread: the JVM lives on until that
     * thread ends, as under java (with main in a daemon virtual thread it exited at once).
     */
    @Test
    void theJvmWaitsForNonDaemonThreadsAfterMainReturns() throws Exception {
        assertStaysAliveAfterMainReturns(new ProcessBuilder(javaDashJar("-cp", Child.APP_CP, LingeringApp.class.getName())), tmp);
    }

    /** Drives {@link LingeringApp}: alive after main ended, released through stdin, exit 0. */
    static void assertStaysAliveAfterMainReturns(ProcessBuilder pb, Path tmp) throws Exception {
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectError(err.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                OutputStream in = p.getOutputStream()) {
            assertEquals("main returned", out.readLine(), () -> "stderr: " + read(err));
            assertEquals("main ended, worker daemon=false", out.readLine(), () -> "stderr: " + read(err));
            assertTrue(p.isAlive(), "the JVM ended with a non-daemon thread still running");
            in.write("release\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            String line = out.readLine();
            if (line == null) {
                fail("the JVM exited before its non-daemon thread ended (exit " + waitFor(p) + "); stderr: " + read(err));
            }
            assertTrue(line.startsWith("worker got release in VirtualThread[#") && line.contains("@goloom-m"), line);
            assertNull(out.readLine());
            assertEquals(0, waitFor(p), () -> "stderr: " + read(err));
        } finally {
            p.destroyForcibly();
        }
    }

    private static int waitFor(Process p) throws InterruptedException {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "hung");
        return p.exitValue();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** An uncaught exception in main, a handler on main, a missing class: what plain java does, byte for byte. */
    @Test
    void failuresInMainAreReportedAsPlainJavaReportsThem() throws Exception {
        for (String main : List.of(FailingApp.class.getName(), HandledApp.class.getName(), "no.such.App")) {
            Result plain = Child.run(plainJava("-cp", Child.APP_CP, main), tmp);
            Result onGoloom = Child.run(javaDashJar("-cp", Child.APP_CP, main), tmp);
            assertEquals(1, plain.status(), plain.toString());
            assertEquals(new Result(plain.status(), plain.out(), plain.err()),
                    new Result(onGoloom.status(), onGoloom.out(), onGoloom.appErr()), main);
            onGoloom.assertOnGoloom(String.valueOf(Runtime.getRuntime().availableProcessors()));
        }
    }

    @Test
    void anInstanceMainOfAPackagePrivateClassRunsOnTheMainThread() throws Exception {
        Result r = Child.run(javaDashJar("--procs", "1", "-Dgoloom.unused=1", "-cp", Child.APP_CP,
                "io.goloom.launcher.fixture.InstanceMainApp"), tmp);
        assertEquals(0, r.status(), r.toString());
        assertEquals("instance main in main, virtual=false\n", r.out(), r.toString());
    }

    /**
     * {@code java -jar goloom.jar}: two processes. SIGKILL to the launcher runs no shutdown
     * hook, so the application's JVM must notice by itself that its launcher is gone: through
     * setpriv's parent-death signal (Linux), or DieWithLauncher's (the agent: elsewhere, or
     * -Dgoloom.launcher.watch=agent).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"setpriv", "agent"})
    void theApplicationDiesWithItsLauncherWhenTheLauncherIsKilled(String watch) throws Exception {
        Path launcherTmp = Files.createDirectory(tmp.resolve("launcher-tmp"));
        Process launcher = new ProcessBuilder(plainJava("-Djava.io.tmpdir=" + launcherTmp, "-D" + Main.WATCH_PROPERTY + "=" + watch,
                "-jar", Child.goloomJar().toString(), "--procs", "1", "-cp", Child.APP_CP, BlockingApp.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ProcessHandle app = null;
        try {
            String line = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertNotNull(line, "the launcher ended before the app started");
            assertTrue(line.startsWith("app pid "), line);
            app = ProcessHandle.of(Long.parseLong(line.substring("app pid ".length()))).orElseThrow();
            assertEquals(launcher.pid(), app.parent().orElseThrow().pid(), "the app is the launcher's child");
            launcher.destroyForcibly(); // SIGKILL
            assertTrue(launcher.waitFor(30, TimeUnit.SECONDS));
            app.onExit().get(30, TimeUnit.SECONDS); // the JDK polls a process that is not our child
            assertFalse(app.isAlive());
        } finally {
            launcher.destroyForcibly();
            if (app != null) {
                app.destroyForcibly();
            }
        }
        try (var left = Files.list(launcherTmp)) {
            assertEquals(List.of(), left.toList(), "the launcher's agent jar for this launch: the application's JVM deletes it");
        }
    }

    /**
     * The launcher puts the application's virtual threads on goloom without a java agent (any
     * agent makes the JVM post JVMTI events at every mount and unmount; see PatchedJavaBase),
     * and without -XX:-DoJVMTIVirtualThreadTransitions, which pins virtual threads on contended
     * monitors on JDK 25 (see the comment above SchedulerAgent.PROPERTY).
     */
    @Test
    void theApplicationsJvmRunsItsVirtualThreadsOnGoloomWithoutAJavaAgent() throws Exception {
        Main.Options o = Main.Options.parse(new String[] {"--procs", "2", "-cp", Child.APP_CP, JvmtiFlagApp.class.getName()});
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        List<String> transparent = Main.transparentOptions(o, Child.goloomJar(), new PrintStream(said, true, StandardCharsets.UTF_8));
        assertEquals("goloom: virtual threads run on goloom (procs=2, JDK " + Runtime.version() + ")\n",
                said.toString(StandardCharsets.UTF_8));
        Result r = Child.run(Main.childCommand(o, Main.javaExecutable(), transparent, null), tmp);
        assertEquals(0, r.status(), r.toString());
        assertEquals("agents and JVMTI options: []\nscheduler property: goloom\non goloom: true\n", r.out(), r.toString());
        assertEquals("", r.err(), "nothing more is printed in the application's JVM");
    }

    /**
     * {@code java -jar goloom.jar} keeps its child tied to itself through setpriv on Linux, so
     * the application's JVM has no agent at all (DieWithLauncher, an agent, is the fallback).
     */
    @Test
    void javaDashJarGoloomJarStartsTheApplicationWithoutAnAgentOnLinux() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Main.setprivPrefix() != null, "no setpriv here: DieWithLauncher is used");
        Result r = Child.run(plainJava("-jar", Child.goloomJar().toString(), "--procs", "2", "-cp", Child.APP_CP,
                JvmtiFlagApp.class.getName()), tmp);
        assertEquals(0, r.status(), r.toString());
        assertEquals("agents and JVMTI options: []\nscheduler property: goloom\non goloom: true\n", r.out(), r.toString());
    }

    /** The argument file names goloom.jar, so this runs once the jar is built (not in LauncherTest). */
    @Test
    void printJvmOptionsWritesAnArgumentFileOfGoloomsFlagsAndThePatchedJavaBase() {
        Result r = LauncherTest.inProcess("--print-jvm-options");
        assertEquals(0, r.status(), r.toString());
        List<String> words = r.out().lines().filter(l -> !l.startsWith("#")).toList();
        assertEquals(LauncherTest.FLAGS, words.subList(0, LauncherTest.FLAGS.size()), r.out());
        assertEquals("--patch-module", words.get(LauncherTest.FLAGS.size()), r.out());
        assertTrue(words.contains("-Dgoloom.transparent.announce=true"), r.out());
        assertTrue(words.stream().noneMatch(w -> w.startsWith("-javaagent") || w.startsWith("-Dgoloom.procs")), r.out());
        assertTrue(LauncherTest.inProcess("--print-jvm-options", "--procs", "3").out().lines().anyMatch("-Dgoloom.procs=3"::equals));
        for (String[] bad : new String[][] {{"--print-jvm-options", "--procs", "0"}, {"--print-jvm-options", "-cp", "x", "App"}}) {
            Result b = LauncherTest.inProcess(bad);
            assertEquals(2, b.status(), b.toString());
            assertTrue(b.err().startsWith("goloom run: "), b.toString());
        }
    }

    /**
     * Launching your own way without an agent: {@code --print-jvm-options} writes a java argument
     * file; {@code java @file -cp CP Main} runs the virtual threads on goloom, with no java agent,
     * and that JVM prints goloom's one line itself.
     */
    @Test
    void theArgumentFileOfPrintJvmOptionsPutsPlainJavaOnGoloomWithoutAnAgent() throws Exception {
        Result printed = LauncherTest.inProcess("--print-jvm-options", "--procs", "2");
        assertEquals(0, printed.status(), printed.toString());
        assertEquals("", printed.err());
        Path argFile = tmp.resolve("goloom args").resolve("goloom.args"); // a blank in the path: quoting
        Files.createDirectories(argFile.getParent());
        Files.writeString(argFile, printed.out());
        List<String> cmd = List.of(Main.javaExecutable(), "@" + argFile, "-cp", Child.APP_CP, JvmtiFlagApp.class.getName());
        Result r = Child.run(cmd, tmp);
        assertEquals(0, r.status(), r.toString());
        assertEquals("agents and JVMTI options: []\nscheduler property: goloom\non goloom: true\n", r.out(), r.toString());
        assertEquals("goloom: virtual threads run on goloom (procs=2, JDK " + Runtime.version() + ")\n", r.err(), r.toString());
    }

    /** The application JVM the launcher builds for these arguments (with --agent), run to a status 0; skipped without the agent jar. */
    private Result withYieldPointAgent(String... launcherArgs) throws Exception {
        Path agentJar = LauncherTest.agentJarOrAbort();
        Main.Options o = Main.Options.parse(launcherArgs);
        Result r = Child.run(Main.childCommand(o, Main.javaExecutable(), Main.agentOption(o, Child.goloomJar()), agentJar), tmp);
        assertEquals(0, r.status(), r.toString());
        return r;
    }

    @Test
    void withAnAgentJarTheChildJvmRunsWithGoloomsAgent() throws Exception {
        Result r = withYieldPointAgent("--agent", "include=example.app.,verbose=true", "-cp", Child.APP_CP, "example.app.LoopApp");
        assertEquals("child on goloom: true\nsum 499999500000\n", r.out(), r.toString());
        assertTrue(r.err().contains("example.app.LoopApp"), "the agent did not report instrumenting the app:\n" + r);
    }

    /**
     * A library the agent instruments (include=example.lib.), used from native goroutines:
     * its loop runs under a ReentrantLock, and its yield points must not switch a goroutine
     * (only a JDK virtual thread) or the lock ends up shared or stranded between carriers.
     */
    @Test
    void nativeGoroutinesAreNeverSwitchedInsideAnInstrumentedLibrary() throws Exception {
        int scale = Stress.FACTOR;
        Result r = withYieldPointAgent("--procs", "2", "--agent", "include=example.lib.,verbose=true",
                "-cp", Child.APP_CP, "example.app.GoroutineLibraryApp", "4", String.valueOf(3 * scale), "40000000");
        assertEquals("ok\n", r.out(), r.toString());
        assertTrue(r.err().contains("instrumented example.lib.Registry"), "the library was not instrumented:\n" + r);
    }

    /**
     * {@code ./goloom run} execs the application's JVM: the launcher writes its command line,
     * NUL-terminated arguments, to the file named by {@code -Dgoloom.launcher.commandFile}.
     */
    @Test
    void withACommandFileTheLauncherWritesTheApplicationCommandInsteadOfStartingIt() throws Exception {
        Path file = tmp.resolve("cmd");
        System.setProperty(Main.COMMAND_FILE_PROPERTY, file.toString());
        try {
            String[] args = {"--procs", "2", "-cp", Child.APP_CP, SampleApp.class.getName(), "a b", "", "é中"};
            Result r = LauncherTest.inProcess(args);
            String line = "goloom: virtual threads run on goloom (procs=2, JDK " + Runtime.version() + ")\n";
            assertEquals(new Result(0, "", line), r);
            String written = Files.readString(file);
            assertTrue(written.endsWith("\0"), written);
            Main.Options o = Main.Options.parse(args);
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            assertEquals(Main.childCommand(o, Main.javaExecutable(), Main.transparentOptions(o, Main.goloomJar(), quiet), null),
                    List.of(written.substring(0, written.length() - 1).split("\0", -1)));
            assertEquals(Child.goloomJar(), Main.goloomJar(), "target/goloom.jar beside target/classes");
        } finally {
            System.clearProperty(Main.COMMAND_FILE_PROPERTY);
        }
    }
}
