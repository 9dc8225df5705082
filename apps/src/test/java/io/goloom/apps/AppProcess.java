package io.goloom.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One server app in a child JVM, started the way a user starts it: {@code java
 * [-javaagent:goloom.jar=scheduler,procs=N] (-cp CP Main | -jar app.jar) args}, with no other
 * flag. Its stdout is read line by line (the app prints {@code port N}, then {@code main
 * returned}); its stderr is kept for messages and checks.
 */
final class AppProcess implements AutoCloseable {

    /** Where the build put the agent jar (the apps-it execution passes it). */
    static Path agentJar() {
        Path jar = Path.of(System.getProperty("goloom.jar", "../launcher/target/goloom.jar"));
        assertTrue(Files.isRegularFile(jar), "no goloom agent jar at " + jar.toAbsolutePath()
                + ": build it first (mvn -o -DskipTests package at the root)");
        return jar;
    }

    /** The {@code -javaagent} option of transparent mode. */
    static String agent(int procs) {
        return "-javaagent:" + agentJar().toAbsolutePath() + "=scheduler,procs=" + procs;
    }

    /**
     * The application JVM's command as {@code ./goloom run --procs N} builds it before it execs
     * it: the launcher (goloom.jar) writes it to a file, NUL-terminated arguments; what the
     * launcher printed on stderr goes to {@code said}. Checks it has no java agent.
     */
    static List<String> launcherCommand(int procs, List<String> launch, Path dir, StringBuilder said) throws Exception {
        Path file = Files.createTempFile(dir, "command", "");
        List<String> launcher = new ArrayList<>(List.of(java(), "-D" + "goloom.launcher.commandFile=" + file,
                "-jar", agentJar().toAbsolutePath().toString(), "--procs", Integer.toString(procs)));
        launcher.addAll(launch);
        Process l = new ProcessBuilder(launcher).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        said.append(new String(l.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, l.waitFor(), said::toString);
        String written = Files.readString(file);
        List<String> cmd = List.of(written.substring(0, written.length() - 1).split("\0", -1));
        assertTrue(cmd.stream().noneMatch(a -> a.startsWith("-javaagent")), () -> "no java agent: " + cmd);
        assertTrue(cmd.contains("--patch-module"), cmd::toString);
        return cmd;
    }

    private static final String EOF = "\u0000eof";

    private final Process process;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final StringBuffer stdoutSeen = new StringBuffer();
    private final StringBuffer stderr = new StringBuffer();
    private final Thread stderrReader;

    /** Starts {@code java <jvmArgs> <launch...>}: launch is {@code -cp CP Main args} or {@code -jar app.jar args}. */
    AppProcess(List<String> jvmArgs, List<String> launch) throws IOException {
        this(javaCommand(jvmArgs, launch));
    }

    static List<String> javaCommand(List<String> jvmArgs, List<String> launch) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(jvmArgs);
        cmd.addAll(launch);
        return cmd;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Starts {@code cmd} as it is (e.g. the command ./goloom run execs). */
    AppProcess(List<String> cmd) throws IOException {
        process = new ProcessBuilder(cmd).directory(new File(System.getProperty("java.io.tmpdir"))).start();
        Thread.ofPlatform().daemon().name("app-stdout").start(() -> pump(process.getInputStream(), null));
        stderrReader = Thread.ofPlatform().daemon().name("app-stderr").start(() -> pump(process.getErrorStream(), stderr));
        stderr.append("(command: ").append(String.join(" ", cmd)).append(")\n");
    }

    private void pump(InputStream in, StringBuffer sink) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (sink != null) {
                    sink.append(line).append('\n');
                } else {
                    stdoutSeen.append(line).append('\n');
                    stdout.add(line);
                }
            }
        } catch (IOException e) {
            (sink != null ? sink : stdoutSeen).append("(read failed: ").append(e).append(")\n");
        } finally {
            if (sink == null) {
                stdout.add(EOF);
            }
        }
    }

    /** Waits for the next stdout line; it must start with {@code prefix}. Returns the rest of it. */
    String awaitLine(String prefix) throws InterruptedException {
        String line = stdout.poll(60, TimeUnit.SECONDS);
        if (line == null || line == EOF || !line.startsWith(prefix)) {
            fail("expected a line starting with '" + prefix + "' from the app, got "
                    + (line == null ? "nothing in 60 s" : line == EOF ? "end of output (exit " + exitIfDone() + ")" : "'" + line + "'")
                    + "\n" + output());
        }
        return line.substring(prefix.length());
    }

    /** Reads {@code port N} and {@code main returned}; returns N. */
    int awaitStarted() throws InterruptedException {
        int port = Integer.parseInt(awaitLine("port ").trim());
        awaitLine("main returned");
        return port;
    }

    /** Waits for the exit (after /stop); returns the status. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            fail("the app did not exit within 60 s\n" + output());
        }
        stderrReader.join(10_000);
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The app's stderr (everything read so far), e.g. goloom's startup line. */
    String stderr() {
        return stderr.toString();
    }

    /** stdout and stderr so far, for failure messages. */
    String output() {
        return "--- app stdout:\n" + stdoutSeen + "--- app stderr:\n" + stderr;
    }

    private String exitIfDone() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
