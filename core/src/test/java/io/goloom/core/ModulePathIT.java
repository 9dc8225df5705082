package io.goloom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
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
        assertEquals(0, c.status, c.output);
    }

    @Test
    void aUserModuleCannotReachSchedlink() throws Exception {
        Compiled c = compileUser("public static Object link(G g) { return g.schedlink; }");
        assertNotEquals(0, c.status, "javac accepted g.schedlink from a user module:\n" + c.output);
        assertTrue(c.output.contains("schedlink"), c.output);
    }

    @Test
    void aUserModuleCannotNameTheSchedulerSpi() throws Exception {
        Compiled c = compileUser("public static Object link(G g) { return io.goloom.core.spi.SchedLinks.schedlink(g); }");
        assertNotEquals(0, c.status, "javac accepted io.goloom.core.spi from a user module:\n" + c.output);
        assertTrue(c.output.contains("io.goloom.core.spi"), c.output);
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
        assertEquals(0, c.status, c.output);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--module-path", modulePath() + File.pathSeparator + c.classes,
                "--add-exports", "java.base/jdk.internal.vm=io.goloom.core", "-m", "user/u.Main")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the user module's JVM did not exit");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("CLOSED io.goloom.core"), out);
    }

    /** What javac said about a user module {@code user} whose class u.Main holds {@code member}. */
    private Compiled compileUser(String member) throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("u"));
        Files.writeString(src.resolve("module-info.java"), "module user { requires io.goloom.core; }\n");
        Files.writeString(src.resolve("u/Main.java"), "package u;\n\nimport io.goloom.core.G;\n\npublic class Main {\n" + member + "\n}\n");
        Path classes = dir.resolve("classes");
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int status = javac.run(ps, ps, "--module-path", modulePath(), "-d", classes.toString(),
                src.resolve("module-info.java").toString(), src.resolve("u/Main.java").toString());
        return new Compiled(status, buf.toString(StandardCharsets.UTF_8), classes);
    }

    private record Compiled(int status, String output, Path classes) {
    }

    /** core's output directory and timers' class-path entry, each a named module (with its descriptor). */
    private static String modulePath() {
        Path core = Path.of(System.getProperty("goloom.core.classes", "target/classes"));
        List<String> mp = new ArrayList<>();
        mp.add(requireModule(core, "io.goloom.core").toString());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.exists(p) && isModule(p, "io.goloom.timers")) {
                mp.add(e);
            }
        }
        assertEquals(2, mp.size(), "core and timers with their module descriptors (run after package): " + mp);
        return String.join(File.pathSeparator, mp);
    }

    private static Path requireModule(Path p, String name) {
        assertTrue(isModule(p, name), p + " holds no descriptor of module " + name + " (run after prepare-package)");
        return p;
    }

    private static boolean isModule(Path p, String name) {
        try {
            for (ModuleReference r : ModuleFinder.of(p).findAll()) {
                if (r.descriptor().name().equals(name) && !r.descriptor().isAutomatic()) {
                    return true;
                }
            }
        } catch (RuntimeException notAModule) {
            // FindException and the like: not a module
        }
        return false;
    }
}
