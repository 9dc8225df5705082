package io.goloom.launcher;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.launcher.fixture.SampleApp;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** Child processes for the launcher's tests, and what they should print. */
final class Child {
    private Child() {
    }

    /** Where the fixture apps are: the test classes' directory. */
    static final String APP_CP = classesDir().toString();

    /** The start of the one line goloom's scheduler agent prints on stderr. */
    static final String SCHEDULER_LINE = "goloom: virtual threads ";

    private static Path classesDir() {
        try {
            return Path.of(SampleApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }

        /** stderr without goloom's scheduler line: what the application itself printed. */
        String appErr() {
            return err.lines().filter(l -> !l.startsWith(SCHEDULER_LINE)).map(l -> l + "\n").reduce("", String::concat);
        }

        /** Asserts that goloom's scheduler agent said, once, that virtual threads run on goloom. */
        void assertOnGoloom(String procs) {
            List<String> lines = err.lines().filter(l -> l.startsWith(SCHEDULER_LINE)).toList();
            assertEquals(1, lines.size(), "goloom's scheduler line, exactly once:\n" + this);
            assertTrue(lines.getFirst().startsWith(SCHEDULER_LINE + "run on goloom (procs=" + procs + ", JDK "), this.toString());
        }
    }

    /** Runs a command with its output in files under tmp (no pipe to fill up), failing on a hang. */
    static Result run(ProcessBuilder pb, Path tmp) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("hung: " + pb.command() + "\n" + Files.readString(out) + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Result run(List<String> cmd, Path tmp) throws Exception {
        return run(new ProcessBuilder(cmd), tmp);
    }

    /**
     * Asserts what {@link SampleApp} printed: main on the JVM's main thread, its six virtual
     * threads (started by a platform thread) each on one of goloom's carriers, the arguments,
     * status 7.
     */
    static void assertSampleAppOnGoloom(Result r, String args) {
        assertEquals(7, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(8, lines.size(), r.toString());
        assertEquals("main: virtual=false name=main", lines.getFirst(), r.toString());
        for (String vt : lines.subList(1, 7)) {
            assertTrue(vt.startsWith("vt ") && vt.contains("VirtualThread[#") && vt.contains("@goloom-m"),
                    "a virtual thread not on a goloom carrier: " + vt + "\n" + r);
        }
        assertEquals("args: " + args, lines.getLast(), r.toString());
        assertEquals("", r.appErr(), r.toString());
    }

    /** The launcher jar this build made (the integration tests' system property). */
    static Path goloomJar() {
        Path jar = Path.of(System.getProperty("goloom.launcher.jar", "target/goloom.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "no launcher jar at " + jar);
        return jar;
    }

    /** An executable jar of {@link SampleApp} (Main-Class), for {@code -jar}. */
    static Path sampleAppJar(Path jar) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, SampleApp.class.getName());
        Path classes = classesDir();
        Path pkg = classes.resolve(SampleApp.class.getPackageName().replace('.', '/'));
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os, m);
                Stream<Path> files = Files.list(pkg)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(SampleApp.class.getSimpleName())).toList()) {
                j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                j.write(Files.readAllBytes(f));
                j.closeEntry();
            }
        }
        return jar;
    }
}
