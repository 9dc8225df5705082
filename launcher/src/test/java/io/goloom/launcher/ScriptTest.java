package io.goloom.launcher;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./goloom} script itself, in a scratch tree with a fake JDK and a fake Maven (no
 * real build runs): when it rebuilds, and how {@code run} hands over to the application's JVM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptTest {
    /** The repository's script: the launcher module's parent directory. */
    static final Path SCRIPT = Path.of("").toAbsolutePath().resolveSibling("goloom");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path root;
    private Path logs;
    /** The directory the script is started from; null: this JVM's. */
    private Path cwd;

    record Run(int status, String out, String err, long pid) {
    }

    @BeforeEach
    void tree() throws Exception {
        assertTrue(Files.isRegularFile(SCRIPT), "no script at " + SCRIPT);
        Files.copy(SCRIPT, root.resolve("goloom"));
        logs = Files.createDirectories(root.resolve("logs"));
        // A fake JDK 25: version probe, else log the arguments; with the launcher's command
        // file, write a command that prints the pid it runs as and its argument.
        Path bin = Files.createDirectories(root.resolve("jdk/bin"));
        script(bin.resolve("javac"), "exit 0\n");
        script(bin.resolve("java"), """
                case "$*" in *-XshowSettings*) echo '    java.specification.version = 25' >&2; exit 0;; esac
                printf '%s\\n' "$@" > "$LOGS/java-args"
                pwd > "$LOGS/java-cwd"
                for a in "$@"; do
                  case "$a" in
                    --fail) echo 'goloom run: bad' >&2; exit 2;;
                    -Dgoloom.launcher.commandFile=*) printf 'sh\\0-c\\0echo "$$ $0"; pwd > "$LOGS/app-cwd"; cat input.txt 2>/dev/null; exit 7\\0arg one\\0' > "${a#*=}";;
                  esac
                done
                exit 0
                """);
        script(Files.createDirectories(root.resolve("bin")).resolve("mvn"), "echo \"mvn $*\" >> \"$LOGS/mvn-calls\"; echo 'maven output'\n");
        write("pom.xml", T0);
        write("core/src/main/java/A.java", T0);
        git("init", "-q");
        git("add", "pom.xml", "core/src/main/java/A.java");
        write("bench/target/goloom-bench.jar", T0.plusSeconds(10));
        write("launcher/target/goloom.jar", T0.plusSeconds(10));
    }

    private void script(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/sh\n" + body);
        assertTrue(p.toFile().setExecutable(true));
    }

    private void write(String rel, Instant mtime) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, rel);
        Files.setLastModifiedTime(p, FileTime.from(mtime));
    }

    private void git(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", root.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
    }

    private Run goloom(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("goloom").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        pb.environment().remove(Main.AGENT_JAR_ENV);
        pb.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        pb.environment().put("PATH", root.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
        pb.environment().put("LOGS", logs.toString());
        pb.environment().put("TMPDIR", root.toString());
        pb.environment().putAll(env);
        Path out = logs.resolve("out");
        Path err = logs.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(50, TimeUnit.SECONDS), "hung");
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err), p.pid());
    }

    private boolean built() {
        return Files.exists(logs.resolve("mvn-calls"));
    }

    @Test
    void onlyTrackedSourcesNewerThanTheJarTriggerABuild() throws Exception {
        assertEquals(0, goloom(Map.of(), "build").status());
        assertFalse(built(), "sources are older than the jar");

        write("scratch/Untracked.java", T0.plusSeconds(20));
        write("core/src/main/java/Untracked.java", T0.plusSeconds(20));
        write("core/src/test/java/ATest.java", T0.plusSeconds(20));
        git("add", "core/src/test/java/ATest.java"); // tracked, but tests are not in the jars
        Run r = goloom(Map.of(), "build");
        assertEquals(0, r.status(), r.err());
        assertFalse(built(), "untracked files and tests do not make the jars stale: " + r.err());

        Files.setLastModifiedTime(root.resolve("core/src/main/java/A.java"), FileTime.from(T0.plusSeconds(30)));
        r = goloom(Map.of(), "build");
        assertEquals(0, r.status(), r.err());
        assertTrue(built(), "a tracked main source newer than the jar: " + r.err());
    }

    @Test
    void runExecsTheApplicationJvmAndHonoursGoloomAgentJar() throws Exception {
        write("agent/target/goloom-agent-1.jar", T0.plusSeconds(10));
        Run r = goloom(Map.of(), "run", "--agent", "include=a.", "-cp", "x", "Main");
        // One process: the command the launcher wrote ran in place of the script (same pid),
        // with its exit status.
        assertEquals(new Run(7, r.pid() + " arg one\n", "", r.pid()), r);
        List<String> launcherArgs = Files.readAllLines(logs.resolve("java-args"));
        assertTrue(launcherArgs.contains("-Dgoloom.agent.jar=" + root.resolve("agent/target/goloom-agent-1.jar")),
                launcherArgs.toString());

        r = goloom(Map.of(Main.AGENT_JAR_ENV, "/elsewhere/agent.jar"), "run", "--agent", "include=a.", "-cp", "x", "Main");
        assertEquals(7, r.status(), r.err());
        launcherArgs = Files.readAllLines(logs.resolve("java-args"));
        assertTrue(launcherArgs.stream().noneMatch(a -> a.startsWith("-Dgoloom.agent.jar=")),
                "-D would override $GOLOOM_AGENT_JAR: " + launcherArgs);

        r = goloom(Map.of(), "run", "--fail");
        assertEquals(new Run(2, "", "goloom run: bad\n", r.pid()), r, "the launcher's status when it refuses");
        assertFalse(built());
        try (var files = Files.list(root)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("goloom-run.")), "command file left behind");
        }
    }

    @Test
    void runLeavesStdoutToTheApplicationWhenItBuilds() throws Exception {
        Files.setLastModifiedTime(root.resolve("core/src/main/java/A.java"), FileTime.from(T0.plusSeconds(30)));
        Run r = goloom(Map.of(), "run", "-cp", "x", "Main");
        assertTrue(built(), "a tracked main source newer than the jar: " + r.err());
        assertEquals(new Run(7, r.pid() + " arg one\n", r.err(), r.pid()), r, "the build's output on stdout");
        assertTrue(r.err().contains("maven output"), r.err());
    }

    @Test
    void runKeepsTheCallersWorkingDirectory() throws Exception {
        Path app = Files.createDirectories(root.resolve("elsewhere/app"));
        Files.writeString(app.resolve("input.txt"), "the user's file\n");
        cwd = app;
        Run r = goloom(Map.of(), "run", "-cp", ".", "Main");
        assertEquals(new Run(7, r.pid() + " arg one\nthe user's file\n", "", r.pid()), r,
                "the application reads input.txt, a relative path, in the caller's directory");
        String here = app.toRealPath().toString();
        assertEquals(here, Files.readString(logs.resolve("java-cwd")).strip(),
                "the launcher resolves -cp . and the app's relative paths from the caller's directory");
        assertEquals(here, Files.readString(logs.resolve("app-cwd")).strip(), "the application runs in the caller's directory");
    }
}
