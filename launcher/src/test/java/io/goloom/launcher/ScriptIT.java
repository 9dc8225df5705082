package io.goloom.launcher;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.launcher.Child.Result;
import io.goloom.launcher.fixture.LingeringApp;
import io.goloom.launcher.fixture.ReadFileApp;
import io.goloom.launcher.fixture.SampleApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./goloom run} for real: the repository's script, this JDK and the goloom.jar this
 * build made, in a scratch tree whose jars are up to date (its Maven fails if called), started
 * from another directory, as a user would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScriptIT {
    @TempDir
    Path tmp;
    private Path root;
    /** The user's directory, outside goloom's tree. */
    private Path work;

    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectories(tmp.resolve("goloom"));
        Files.copy(ScriptTest.SCRIPT, root.resolve("goloom"));
        Files.copy(Child.goloomJar(), Files.createDirectories(root.resolve("launcher/target")).resolve("goloom.jar"));
        Files.writeString(Files.createDirectories(root.resolve("bench/target")).resolve("goloom-bench.jar"), "not stale");
        Path mvn = Files.createDirectories(root.resolve("bin")).resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho 'mvn must not run here' >&2\nexit 99\n");
        assertTrue(mvn.toFile().setExecutable(true));
        work = Files.createDirectories(tmp.resolve("work"));
    }

    private ProcessBuilder goloomRun(String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("goloom").toString(), "run"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().remove(Main.AGENT_JAR_ENV);
        pb.environment().remove("CLASSPATH");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("PATH", root.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
        pb.environment().put("TMPDIR", tmp.toString());
        return pb;
    }

    /** Copies a fixture's class file under dir, in its package's folders. */
    private static void copyClass(Class<?> c, Path dir) throws IOException {
        String rel = c.getName().replace('.', '/') + ".class";
        Path to = dir.resolve(rel);
        Files.createDirectories(to.getParent());
        Files.copy(Path.of(Child.APP_CP, rel), to, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void runDashCpDotFromTheUsersDirectoryPutsEveryVirtualThreadOnGoloom() throws Exception {
        copyClass(SampleApp.class, work);
        Result r = Child.run(goloomRun("--procs", "2", "-Xmx256m", "-cp", ".", SampleApp.class.getName(), "x"), tmp);
        Child.assertSampleAppOnGoloom(r, "x");
        r.assertOnGoloom("2");
    }

    @Test
    void runDashJarRunsAnExecutableJarFromTheUsersDirectory() throws Exception {
        Child.sampleAppJar(work.resolve("app.jar"));
        Result r = Child.run(goloomRun("-jar", "app.jar", "-y"), tmp);
        Child.assertSampleAppOnGoloom(r, "-y");
        r.assertOnGoloom(String.valueOf(Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void theAppsRelativePathsResolveInTheUsersDirectory() throws Exception {
        copyClass(ReadFileApp.class, work);
        Files.writeString(work.resolve("input.txt"), "the user's file\n");
        Result r = Child.run(goloomRun("-cp", ".", ReadFileApp.class.getName(), "input.txt"), tmp);
        assertEquals(0, r.status(), r.toString());
        assertEquals("read input.txt: the user's file\n", r.out(), r.toString());
        assertEquals("", r.appErr(), r.toString());
    }

    @Test
    void theJvmWaitsForNonDaemonThreadsAfterMainReturns() throws Exception {
        LauncherJarIT.assertStaysAliveAfterMainReturns(goloomRun("-cp", Child.APP_CP, LingeringApp.class.getName()), tmp);
    }
}
