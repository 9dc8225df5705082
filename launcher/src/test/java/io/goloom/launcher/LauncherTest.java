package io.goloom.launcher;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.launcher.fixture.BlockingApp;
import io.goloom.launcher.fixture.FailingApp;
import io.goloom.launcher.fixture.HandledApp;
import io.goloom.launcher.fixture.SampleApp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher end to end: child JVMs run the fixture applications (test classes that know
 * nothing of goloom); argument errors are checked in-process.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherTest {

    /** Where the fixture apps are: this test's own class path entry. */
    static final String APP_CP = Path.of(classesDir()).toString();

    private static String classesDir() {
        try {
            return Path.of(SampleApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    @TempDir
    Path tmp;

    /** Runs a command with its output in files (no pipe to fill up), failing on a hang. */
    Result exec(List<String> cmd) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("hung: " + cmd + "\n" + Files.readString(out) + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** The child JVM command for the given launcher arguments, as the launcher builds it. */
    static List<String> child(String... args) throws Exception {
        Main.Options o = Main.Options.parse(args);
        return Main.childCommand(o, Main.javaExecutable(), Main.goloomClassPath(), null);
    }

    static String java() throws Main.LaunchException {
        return Main.javaExecutable();
    }

    @Test
    void theLauncherRunsAnUnmodifiedAppOnGoloomAndReturnsItsExitStatusAndOutput() throws Exception {
        // The whole path: a launcher JVM (Main) starting the application's JVM (Boot).
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(Main.GOLOOM_JVM_FLAGS);
        cmd.addAll(List.of("-cp", Main.goloomClassPath(), Main.class.getName(),
                "--procs", "2", "-cp", APP_CP, SampleApp.class.getName(), "5", "x y"));
        Result r = exec(cmd);
        assertEquals(3, r.status(), r.toString());
        assertEquals("""
                hello 5
                main: virtual=true name=main onGoloom=true
                virtual threads on goloom: 100/100
                args: 5,x y
                """, r.out(), r.toString());
        assertEquals("", r.err(), r.toString());
    }

    @Test
    void anUncaughtExceptionInMainIsReportedAsAPlainJvmReportsItWithStatus1() throws Exception {
        Result onGoloom = exec(child("-cp", APP_CP, FailingApp.class.getName()));
        List<String> plainCmd = List.of(java(), "-cp", APP_CP, FailingApp.class.getName());
        Result plain = exec(plainCmd);

        assertEquals(1, plain.status(), plain.toString());
        assertEquals(1, onGoloom.status(), onGoloom.toString());
        assertEquals("about to fail\n", onGoloom.out());
        assertTrue(onGoloom.err().startsWith("Exception in thread \"main\" java.lang.IllegalStateException: boom from the app"),
                onGoloom.toString());
        assertFalse(onGoloom.err().contains(Boot.class.getName()), "launcher frames leaked:\n" + onGoloom.err());
        assertFalse(onGoloom.err().contains("VirtualThread"), "virtual-thread frames leaked:\n" + onGoloom.err());
        // Byte for byte what the plain JVM printed, causes and "... n more" included.
        assertEquals(plain.err(), onGoloom.err());
    }

    @Test
    void aHandlerTheAppSetsOnItsMainThreadGetsTheExceptionAsOnAPlainJvm() throws Exception {
        Result onGoloom = exec(child("-cp", APP_CP, HandledApp.class.getName()));
        Result plain = exec(List.of(java(), "-cp", APP_CP, HandledApp.class.getName()));
        assertEquals(new Result(1, "main's handler in \"main\": oops\n", ""), plain);
        assertEquals(plain, onGoloom);
    }

    @Test
    void anInstanceMainOfAPackagePrivateClassRunsAndReturningMeansStatus0() throws Exception {
        Result r = exec(child("--procs", "1", "-cp", APP_CP, "io.goloom.launcher.fixture.InstanceMainApp"));
        assertEquals(0, r.status(), r.toString());
        assertEquals("instance main on goloom\n", r.out());
    }

    @Test
    void aMissingMainClassIsReportedAsJavaReportsIt() throws Exception {
        Result r = exec(child("-cp", APP_CP, "no.such.App"));
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().startsWith("Error: Could not find or load main class no.such.App\n"
                + "Caused by: java.lang.ClassNotFoundException: no.such.App"), r.toString());
    }

    @Test
    void theChildCommandCarriesGoloomsFlagsTheAgentAndTheUsersOptions() throws Exception {
        Main.Options o = Main.Options.parse(new String[] {
                "--procs", "3", "--agent", "include=com.example.", "-J-Xmx64m", "-J-Dk=v",
                "-classpath", "app.jar", "com.example.App", "--procs", "-cp"});
        List<String> cmd = Main.childCommand(o, "java", "goloom.jar", Path.of("agent.jar"));
        assertEquals(List.of("java",
                "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "-javaagent:agent.jar=include=com.example.",
                "-Dgoloom.procs=3", "-Xmx64m", "-Dk=v",
                "-cp", "goloom.jar" + java.io.File.pathSeparator + "app.jar",
                Boot.class.getName(), "com.example.App", "--procs", "-cp"), cmd);
    }

    @Test
    void withAnAgentJarTheChildJvmRunsWithGoloomsAgent() throws Exception {
        Path agentJar = agentJarOrAbort();
        Main.Options o = Main.Options.parse(new String[] {
                "--agent", "include=example.app.,verbose=true", "-cp", APP_CP, "example.app.LoopApp"});
        Result r = exec(Main.childCommand(o, java(), Main.goloomClassPath(), agentJar));
        assertEquals(0, r.status(), r.toString());
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
        Path agentJar = agentJarOrAbort();
        int scale = Integer.getInteger("goloom.stress", 1);
        Main.Options o = Main.Options.parse(new String[] {"--procs", "2", "--agent", "include=example.lib.,verbose=true",
                "-cp", APP_CP, "example.app.GoroutineLibraryApp", "4", String.valueOf(3 * scale), "40000000"});
        Result r = exec(Main.childCommand(o, java(), Main.goloomClassPath(), agentJar));
        assertEquals(0, r.status(), r.toString());
        assertEquals("ok\n", r.out(), r.toString());
        assertTrue(r.err().contains("instrumented example.lib.Registry"), "the library was not instrumented:\n" + r);
    }

    /** The agent jar the launcher would use; the test is skipped when it is not built. */
    static Path agentJarOrAbort() {
        try {
            return Main.findAgentJar();
        } catch (Main.LaunchException notBuilt) {
            return Assumptions.abort("goloom's agent jar is not built: " + notBuilt.getMessage());
        }
    }

    /** Runs Main in-process on arguments that never reach a child JVM. */
    static Result inProcess(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badArgumentsPrintTheUsageOnStderrAndExitWith2() {
        String[][] bad = {
                {},
                {"-cp", "x"},
                {"--procs"},
                {"--procs", "many", "App"},
                {"--procs", "0", "App"},
                {"--agent"},
                {"--agent", " ", "App"},
                {"--verbose", "App"},
                {"-cp"},
        };
        for (String[] args : bad) {
            Result r = inProcess(args);
            assertEquals(2, r.status(), String.join(" ", args) + " -> " + r);
            assertTrue(r.err().startsWith("goloom run: "), r.toString());
            assertTrue(r.err().contains("usage: goloom run"), r.toString());
            assertEquals("", r.out());
        }
        Result help = inProcess("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().startsWith("usage: goloom run"), help.toString());
    }

    @Test
    void badAgentArgumentsAreAUsageErrorOfTheLauncherNotAnAbortedChildJvm() {
        agentJarOrAbort();
        String[][] bad = {
                {"include=java.util.", "at 'java.util.': the agent never instruments java.*"},
                {"foo=bar", "at 'foo=bar': unknown option 'foo'"},
                {"exclude=app.", "include is required"},
                {"include=app.,entry=maybe", "entry"},
        };
        for (String[] c : bad) {
            Result r = inProcess("--agent", c[0], "-cp", APP_CP, SampleApp.class.getName());
            assertEquals(2, r.status(), c[0] + " -> " + r);
            assertTrue(r.err().startsWith("goloom run: --agent: goloom-agent: bad arguments '" + c[0] + "'"), r.toString());
            assertTrue(r.err().contains(c[1]), r.toString());
            assertTrue(r.err().contains("usage: goloom run"), r.toString());
            assertEquals("", r.out());
        }
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
            String[] args = {"--procs", "2", "-cp", APP_CP, SampleApp.class.getName(), "a b", "", "é中"};
            Result r = inProcess(args);
            assertEquals(new Result(0, "", ""), r);
            String written = Files.readString(file);
            assertTrue(written.endsWith("\0"), written);
            assertEquals(child(args), List.of(written.substring(0, written.length() - 1).split("\0", -1)));
        } finally {
            System.clearProperty(Main.COMMAND_FILE_PROPERTY);
        }
    }

    /**
     * {@code java -jar goloom.jar}: two processes. SIGKILL to the launcher runs no shutdown
     * hook, so the application's JVM must notice by itself that its launcher is gone.
     */
    @Test
    void theApplicationDiesWithItsLauncherWhenTheLauncherIsKilled() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(Main.GOLOOM_JVM_FLAGS);
        cmd.addAll(List.of("-cp", Main.goloomClassPath(), Main.class.getName(),
                "--procs", "1", "-cp", APP_CP, BlockingApp.class.getName()));
        Process launcher = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ProcessHandle app = null;
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(launcher.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
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
    }

    @Test
    void anAgentJarThatIsNotThereIsAClearErrorNotAHalfLaunch() throws IOException {
        String old = System.getProperty(Main.AGENT_JAR_PROPERTY);
        Path missing = tmp.resolve("no-such-agent.jar");
        System.setProperty(Main.AGENT_JAR_PROPERTY, missing.toString());
        try {
            Result r = inProcess("--agent", "include=com.example.", "-cp", APP_CP, SampleApp.class.getName());
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.err().contains("the agent jar " + missing + " (from -Dgoloom.agent.jar) does not exist"), r.toString());
        } finally {
            if (old == null) {
                System.clearProperty(Main.AGENT_JAR_PROPERTY);
            } else {
                System.setProperty(Main.AGENT_JAR_PROPERTY, old);
            }
        }
    }
}
