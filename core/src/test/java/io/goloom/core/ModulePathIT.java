package io.goloom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.ModulePath;
import io.goloom.testkit.ModulePath.Compiled;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user module on the MODULE PATH sees goloom's public API and not the scheduler's fields of a
 * goroutine: {@code g.schedlink} does not compile, {@code io.goloom.core.spi} is not visible, and
 * at run time reflection cannot open the field. Runs after prepare-package (surefire's
 * integration-test execution), when core's and timers' output directories hold their module
 * descriptors (module-info.java is compiled last, so every other test runs on the class path as
 * before). Before the descriptors and SchedLinks, {@code g.schedlink} was a public field of G
 * and the first case compiled.
 */
class ModulePathIT {

    @TempDir
    Path dir;

    @Test
    void aUserModuleCompilesAgainstThePublicApi() throws Exception {
        Compiled c = compileUser("public static String show(G g) { return g.id + \" \" + g.name; }");
        assertEquals(0, c.status(), c.output());
    }

    @Test
    void aUserModuleCannotReachSchedlink() throws Exception {
        Compiled c = compileUser("public static Object link(G g) { return g.schedlink; }");
        assertNotEquals(0, c.status(), "javac accepted g.schedlink from a user module:\n" + c.output());
        assertTrue(c.output().contains("schedlink"), c.output());
    }

    @Test
    void aUserModuleCannotNameTheSchedulerSpi() throws Exception {
        Compiled c = compileUser("public static Object link(G g) { return io.goloom.core.spi.SchedLinks.schedlink(g); }");
        assertNotEquals(0, c.status(), "javac accepted io.goloom.core.spi from a user module:\n" + c.output());
        assertTrue(c.output().contains("io.goloom.core.spi"), c.output());
    }

    @Test
    void atRunTimeReflectionCannotOpenTheField() throws Exception {
        Compiled c = compileUser("""
                public static void main(String[] args) throws Exception {
                    java.lang.reflect.Field f = G.class.getSuperclass().getDeclaredField("schedlink");
                    try {
                        f.setAccessible(true);
                        System.out.println("REACHED " + f);
                    } catch (java.lang.reflect.InaccessibleObjectException e) {
                        System.out.println("CLOSED " + G.class.getModule().getName());
                    }
                }""");
        assertEquals(0, c.status(), c.output());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--module-path", modulePath() + File.pathSeparator + c.classes(),
                "--add-exports", "java.base/jdk.internal.vm=io.goloom.core", "-m", "user/u.Main")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the user module's JVM did not exit");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("CLOSED io.goloom.core"), out);
    }

    /** What javac said about a user module {@code user} whose class u.Main holds {@code member}. */
    private Compiled compileUser(String member) throws Exception {
        return ModulePath.compileUser(dir, modulePath(), "module user { requires io.goloom.core; }\n",
                "package u;\n\nimport io.goloom.core.G;\n\npublic class Main {\n" + member + "\n}\n");
    }

    /** core's output directory and timers' class-path entry, each a named module (with its descriptor). */
    private static String modulePath() {
        return ModulePath.of(Path.of(System.getProperty("goloom.core.classes", "target/classes")), "io.goloom.core", "io.goloom.timers");
    }
}
