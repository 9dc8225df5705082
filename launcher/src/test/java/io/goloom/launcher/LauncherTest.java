package io.goloom.launcher;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.launcher.Child.Result;
import io.goloom.launcher.fixture.SampleApp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's command line, in-process: the application JVM's command it builds and the
 * errors it reports before starting anything. The child JVMs themselves run in
 * {@link LauncherJarIT} and {@link ScriptIT}, which need goloom.jar (the agent jar).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LauncherTest {

    @TempDir
    Path tmp;

    static final List<String> FLAGS = List.of(
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED");

    static List<String> command(String... args) throws Main.UsageException {
        Main.Options o = Main.Options.parse(args);
        return Main.childCommand(o, "java", Main.agentOption(o, Path.of("/g/goloom.jar")), null);
    }

    static List<String> expect(List<String> beforeApp, String... app) {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(FLAGS);
        cmd.addAll(beforeApp);
        cmd.addAll(List.of(app));
        return cmd;
    }

    @Test
    void theChildCommandIsJavasWithGoloomsFlagsAndAgentsThenTheUsersOptionsThenTheAppUnchanged() throws Exception {
        Main.Options o = Main.Options.parse(new String[] {
                "--procs", "3", "--agent", "include=com.example.", "-Xmx64m", "-Dk=v", "-XX:+UseSerialGC", "-ea",
                "-J--add-opens=java.base/java.io=ALL-UNNAMED", "-classpath", "app.jar", "com.example.App", "--procs", "-cp"});
        assertEquals(expect(List.of("-javaagent:/g/goloom.jar=scheduler,procs=3", "-javaagent:agent.jar=include=com.example.",
                        "-Xmx64m", "-Dk=v", "-XX:+UseSerialGC", "-ea", "--add-opens=java.base/java.io=ALL-UNNAMED"),
                "-classpath", "app.jar", "com.example.App", "--procs", "-cp"),
                Main.childCommand(o, "java", Main.agentOption(o, Path.of("/g/goloom.jar")), Path.of("agent.jar")));
    }

    /**
     * The launcher's own way in is a patched java.base, written once into the cache; the agent
     * only when the user's options patch java.base themselves (a JVM takes one --patch-module
     * per module).
     */
    @Test
    void transparentModeIsAPatchedJavaBaseUnlessTheUserPatchesJavaBase() throws Exception {
        System.setProperty(io.goloom.scheduler.PatchedJavaBase.CACHE_PROPERTY, tmp.toString());
        try {
            ByteArrayOutputStream said = new ByteArrayOutputStream();
            PrintStream err = new PrintStream(said, true, StandardCharsets.UTF_8);
            Main.Options o = Main.Options.parse(new String[] {"--procs", "3", "-Dk=v", "App"});
            List<String> patch = Main.transparentOptions(o, Path.of("/g/goloom.jar"), err);
            assertEquals(5, patch.size(), patch.toString());
            assertEquals("--patch-module", patch.get(0));
            Path dir = Path.of(patch.get(1).substring("java.base=".length()));
            assertEquals(tmp, dir.getParent(), patch.toString());
            for (String c : List.of("java/lang/VirtualThread.class", "java/util/concurrent/ForkJoinWorkerThread.class")) {
                assertTrue(java.nio.file.Files.isRegularFile(dir.resolve(c)), c + " in " + dir);
            }
            assertEquals(List.of("-Dgoloom.transparent.jar=/g/goloom.jar", "-Dgoloom.virtualThreadScheduler=goloom", "-Dgoloom.procs=3"),
                    patch.subList(2, 5));
            assertEquals("goloom: virtual threads run on goloom (procs=3, JDK " + Runtime.version() + ")\n", said.toString(StandardCharsets.UTF_8));
            assertEquals(patch, Main.transparentOptions(o, Path.of("/g/goloom.jar"), err), "the same directory, reused");
            // Without --procs, the line names the Ps the app's JVM will have: its own -D settings of the JDK's scheduler.
            for (String[] jdk : new String[][] {{"-Djdk.virtualThreadScheduler.parallelism=5", "5"},
                    {"-Djdk.virtualThreadScheduler.maxPoolSize=1", "1"}, {"-Dgoloom.procs=4", "4"}}) {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                Main.transparentOptions(Main.Options.parse(new String[] {jdk[0], "App"}), Path.of("/g/goloom.jar"),
                        new PrintStream(line, true, StandardCharsets.UTF_8));
                assertEquals("goloom: virtual threads run on goloom (procs=" + jdk[1] + ", JDK " + Runtime.version() + ")\n",
                        line.toString(StandardCharsets.UTF_8), jdk[0]);
            }
            try (var dirs = java.nio.file.Files.list(tmp)) { // beside it only the index of the JDK and goloom's jar
                assertEquals(List.of(dir), dirs.filter(p -> !p.getFileName().toString().startsWith("index-")).toList(),
                        "no partial directory left behind");
            }
            for (String[] own : new String[][] {{"-J--patch-module", "-Jjava.base=mine", "App"}, {"-J--patch-module=java.base=mine", "App"}}) {
                Main.Options mine = Main.Options.parse(own);
                assertEquals(List.of("-javaagent:/g/goloom.jar=scheduler"), Main.transparentOptions(mine, Path.of("/g/goloom.jar"), err));
            }
            for (String[] cds : new String[][] {{"-Xshare:on", "App"}, {"-XX:SharedArchiveFile=app.jsa", "App"}, {"-XX:AOTCache=app.aot", "App"}}) {
                ByteArrayOutputStream why = new ByteArrayOutputStream();
                assertEquals(List.of("-javaagent:/g/goloom.jar=scheduler"),
                        Main.transparentOptions(Main.Options.parse(cds), Path.of("/g/goloom.jar"), new PrintStream(why, true, StandardCharsets.UTF_8)));
                assertTrue(why.toString(StandardCharsets.UTF_8).startsWith("goloom run: " + cds[0] + " asks for a CDS archive"), why.toString());
            }
            assertEquals("-Xshare:on", Main.needsCds(List.of(), " -Dx=y  -Xshare:on "), "JDK_JAVA_OPTIONS counts too");
            assertEquals(null, Main.needsCds(List.of("-Xshare:auto", "-Xshare:off"), null));
            Main.Options other = Main.Options.parse(new String[] {"-J--patch-module", "-Jjava.sql=x", "App"});
            assertEquals("--patch-module", Main.transparentOptions(other, Path.of("/g/goloom.jar"), err).getFirst());
        } finally {
            System.clearProperty(io.goloom.scheduler.PatchedJavaBase.CACHE_PROPERTY);
        }
    }

    @Test
    void withoutProcsTheSchedulerAgentGetsNoProcsAndTheAppsClassPathIsJavasDefault() throws Exception {
        assertEquals(expect(List.of("-javaagent:/g/goloom.jar=scheduler"), "com.example.App", "a"),
                command("com.example.App", "a"));
    }

    @Test
    void dashJarRunsTheApplicationsJarAsJavaDoes() throws Exception {
        assertEquals(expect(List.of("-javaagent:/g/goloom.jar=scheduler,procs=1", "-Dx=y"), "-jar", "app.jar", "-jar", "x", "--procs"),
                command("--procs", "1", "-Dx=y", "-jar", "app.jar", "-jar", "x", "--procs"));
        assertEquals(expect(List.of("-javaagent:/g/goloom.jar=scheduler"), "-cp", "lib", "-jar", "app.jar"),
                command("-cp", "lib", "-jar", "app.jar"), "-cp before -jar is passed on (java ignores it)");
        assertEquals(expect(List.of("-javaagent:/g/goloom.jar=scheduler"), "--class-path=a:b", "M"),
                command("--class-path=a:b", "M"));
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
    void badArgumentsPrintWhatIsWrongAndOneUsageLineOnStderrAndExitWith2() {
        String[][] bad = {
                {},
                {"-cp", "x"},
                {"-jar"},
                {"-Xmx1g"},
                {"--procs"},
                {"--procs", "many", "App"},
                {"--procs", "0", "App"},
                {"--agent"},
                {"--agent", " ", "App"},
                {"--verbose", "App"},
                {"-D", "App"},
                {"-javaagent:x.jar", "App"},
                {"-cp"},
        };
        for (String[] args : bad) {
            Result r = inProcess(args);
            assertEquals(2, r.status(), String.join(" ", args) + " -> " + r);
            List<String> lines = r.err().lines().toList();
            assertEquals(2, lines.size(), r.toString());
            assertTrue(lines.get(0).startsWith("goloom run: "), r.toString());
            assertEquals(Main.USAGE_LINE, lines.get(1));
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
            Result r = inProcess("--agent", c[0], "-cp", Child.APP_CP, SampleApp.class.getName());
            assertEquals(2, r.status(), c[0] + " -> " + r);
            assertTrue(r.err().startsWith("goloom run: --agent: goloom-agent: bad arguments '" + c[0] + "'"), r.toString());
            assertTrue(r.err().contains(c[1]), r.toString());
            assertTrue(r.err().contains(Main.USAGE_LINE), r.toString());
            assertEquals("", r.out());
        }
    }

    /** The agent jar the launcher would use; the test is skipped when it is not built. */
    static Path agentJarOrAbort() {
        try {
            return Main.findAgentJar();
        } catch (Main.LaunchException notBuilt) {
            return Assumptions.abort("goloom's agent jar is not built: " + notBuilt.getMessage());
        }
    }

    @Test
    void anAgentJarThatIsNotThereIsAClearErrorNotAHalfLaunch() throws IOException {
        String old = System.getProperty(Main.AGENT_JAR_PROPERTY);
        Path missing = tmp.resolve("no-such-agent.jar");
        System.setProperty(Main.AGENT_JAR_PROPERTY, missing.toString());
        try {
            Result r = inProcess("--agent", "include=com.example.", "-cp", Child.APP_CP, SampleApp.class.getName());
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
