package io.goloom.scheduler;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A child JVM (running while the test talks to it; testkit's ChildJvm runs one to its end) on this test's class path with goloom's JVM flags; its stdout and stderr read line by line. */
final class LiveChildJvm implements AutoCloseable {
    static final String EOF = "\u0000eof";

    final Process process;
    final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    final BlockingQueue<String> stderr = new LinkedBlockingQueue<>();
    final StringBuffer seen = new StringBuffer();

    LiveChildJvm(List<String> jvmArgs, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED", "-Xss1m"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).start();
        Thread.ofPlatform().daemon().start(() -> pump(process.getInputStream(), stdout));
        Thread.ofPlatform().daemon().start(() -> pump(process.getErrorStream(), stderr));
    }

    private void pump(InputStream in, BlockingQueue<String> q) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                seen.append(q == stdout ? "out: " : "err: ").append(line).append('\n');
                q.add(line);
            }
        } catch (IOException e) {
            seen.append("(read failed: ").append(e).append(")\n");
        } finally {
            q.add(EOF);
        }
    }

    /** The next line of q starting with prefix (others are skipped); fails after 60 s or at EOF. */
    String await(BlockingQueue<String> q, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (;;) {
            String l = q.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l == null || l.equals(EOF)) {
                throw new AssertionError("child JVM: no line starting with '" + prefix + "' (" + (l == null ? "timeout" : "exited")
                        + "); its output:\n" + seen);
            }
            if (l.startsWith(prefix)) {
                return l;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
