package io.goloom.testkit;

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
import java.util.spi.ToolProvider;

/**
 * For tests of goloom's module descriptors (which only exist after prepare-package, see the
 * root POM): a module path made of this test's own output directory and the class-path entries
 * that are the named modules it needs, and javac on a small user module.
 */
public final class ModulePath {
    private ModulePath() {
    }

    /**
     * {@code own} (a module's output directory, which must hold the descriptor of {@code ownName})
     * and every class-path entry holding one of {@code deps} as a named module, joined as a
     * module path. Throws naming what is missing.
     */
    public static String of(Path own, String ownName, String... deps) {
        if (!isModule(own, ownName)) {
            throw new IllegalStateException(own + " holds no descriptor of module " + ownName + " (run after prepare-package: mvn verify)");
        }
        List<String> mp = new ArrayList<>();
        mp.add(own.toString());
        List<String> missing = new ArrayList<>(List.of(deps));
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            for (String d : deps) {
                if (missing.contains(d) && Files.exists(p) && isModule(p, d)) {
                    mp.add(e);
                    missing.remove(d);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("no class-path entry is the named module(s) " + missing + " (run after prepare-package)");
        }
        return String.join(File.pathSeparator, mp);
    }

    /** What javac said when compiling module {@code user} ({@code moduleInfo}) with class u.Main ({@code main}) under {@code dir}. */
    public static Compiled compileUser(Path dir, String modulePath, String moduleInfo, String main) throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("u"));
        Files.writeString(src.resolve("module-info.java"), moduleInfo);
        Files.writeString(src.resolve("u/Main.java"), main);
        Path classes = dir.resolve("classes");
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int status = javac.run(ps, ps, "--module-path", modulePath, "-d", classes.toString(),
                src.resolve("module-info.java").toString(), src.resolve("u/Main.java").toString());
        return new Compiled(status, buf.toString(StandardCharsets.UTF_8), classes);
    }

    /** javac's exit status and output, and where the classes went. */
    public record Compiled(int status, String output, Path classes) {
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
