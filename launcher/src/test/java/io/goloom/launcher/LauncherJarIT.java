package io.goloom.launcher;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.launcher.fixture.SampleApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar goloom.jar ...} on the jar this build just made (integration-test phase:
 * mvn verify / install). No goloom flags on the command line: the jar's manifest carries them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherJarIT {

    @TempDir
    Path tmp;

    @Test
    void javaDashJarRunsTheSampleAppOnGoloom() throws Exception {
        Path jar = Path.of(System.getProperty("goloom.launcher.jar", "target/goloom.jar"));
        assertTrue(Files.isRegularFile(jar), "no launcher jar at " + jar.toAbsolutePath());
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = new ProcessBuilder(List.of(Main.javaExecutable(), "-jar", jar.toString(),
                "--procs", "2", "-cp", LauncherTest.APP_CP, SampleApp.class.getName(), "7"))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("hung");
        }
        String stdout = Files.readString(out);
        String stderr = Files.readString(err);
        assertEquals(3, p.exitValue(), stdout + stderr);
        assertEquals("""
                hello 7
                main: virtual=true name=main onGoloom=true
                virtual threads on goloom: 100/100
                args: 7
                """, stdout, stderr);
        assertEquals("", stderr);
    }
}
