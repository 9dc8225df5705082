package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.ModulePath;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user module on the MODULE PATH that requires only {@code io.goloom.scheduler} compiles
 * against GoRuntime and Chan (core comes transitively) and runs goroutines, with the two
 * {@code --add-exports} of java.base to {@code io.goloom.core} and nothing else: the descriptors
 * of timers, core, netpoll and scheduler say all that the runtime needs (a missing
 * {@code requires} would fail here). Runs after prepare-package (integration-test), like core's
 * ModulePathIT.
 */
class ModulePathIT {

    @TempDir
    Path dir;

    @Test
    void aUserModuleRunsGoroutinesOnTheModulePath() throws Exception {
        String mp = ModulePath.of(Path.of(System.getProperty("goloom.scheduler.classes", "target/classes")),
                "io.goloom.scheduler", "io.goloom.core", "io.goloom.timers", "io.goloom.netpoll");
        ModulePath.Compiled c = ModulePath.compileUser(dir, mp, "module user { requires io.goloom.scheduler; }\n", """
                package u;

                import io.goloom.core.Chan;
                import io.goloom.scheduler.GoRuntime;

                public class Main {
                    public static void main(String[] args) throws Exception {
                        try (GoRuntime rt = GoRuntime.create(2)) {
                            Chan<Integer> c = new Chan<>(0);
                            rt.go(() -> c.send(42));
                            int[] got = new int[1];
                            rt.run(() -> { got[0] = c.receive(); });
                            System.out.println("got " + got[0] + " in " + GoRuntime.class.getModule().getName());
                        }
                    }
                }
                """);
        assertEquals(0, c.status(), c.output());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--module-path", mp + File.pathSeparator + c.classes(),
                "--add-exports", "java.base/jdk.internal.vm=io.goloom.core",
                "--add-exports", "java.base/jdk.internal.access=io.goloom.core",
                "-m", "user/u.Main").redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the user module's JVM did not exit");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("got 42 in io.goloom.scheduler"), out);
    }
}
