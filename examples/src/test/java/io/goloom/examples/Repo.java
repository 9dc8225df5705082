package io.goloom.examples;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The repository under test and the commands the user-side tests run in it. */
final class Repo {
    private Repo() {
    }

    /** The repository's root (the build passes it; else the parent of this module's directory). */
    static final Path ROOT = Path.of(System.getProperty("goloom.root", "..")).toAbsolutePath().normalize();

    /** What a command did. */
    record Run(int status, String output) {
    }

    /**
     * Runs {@code cmd} in {@code dir} with this JVM's JDK as JAVA_HOME and this build's Maven
     * first on PATH; output (stdout and stderr) goes to a file, returned.
     */
    static Run run(Path dir, List<String> cmd, long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        String path = System.getProperty("java.home") + "/bin" + File.pathSeparator + env.getOrDefault("PATH", "");
        String mavenHome = System.getProperty("maven.home");
        if (mavenHome != null && !mavenHome.isEmpty()) {
            path = mavenHome + "/bin" + File.pathSeparator + path;
        }
        env.put("PATH", path);
        env.put("MAVEN_OPTS", "--sun-misc-unsafe-memory-access=allow");
        Path out = Files.createTempFile("goloom-examples", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
                throw new AssertionError("timed out after " + timeoutSeconds + " s: " + cmd + "\n" + Files.readString(out));
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The files git tracks, relative to the root ("/"-separated), or null outside a git checkout. */
    static List<String> trackedFiles() throws Exception {
        Run r = run(ROOT, List.of("git", "ls-files", "-z"), 60);
        if (r.status() != 0) {
            return null;
        }
        List<String> files = new ArrayList<>();
        for (String f : r.output().split("\0")) {
            if (!f.isEmpty()) {
                files.add(f);
            }
        }
        return files;
    }
}
