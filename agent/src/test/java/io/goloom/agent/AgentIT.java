package io.goloom.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.ModuleAttribute;
import java.lang.constant.ModuleDesc;
import java.lang.constant.PackageDesc;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, on the jar this build made (surefire's integration-test execution passes its
 * path as {@code goloom.agent.jar}): child JVMs with {@code -javaagent}, dynamic attach,
 * Launcher-Agent-Class in an executable jar, a named module, and bad arguments. The children
 * count check() calls with a handler registered reflectively, as the runtime does.
 */
class AgentIT {
    private static Path agentJar;
    private static Path testClasses;

    @BeforeAll
    static void locate() throws URISyntaxException {
        String jar = System.getProperty("goloom.agent.jar");
        // Set only by the agent-it execution (integration-test phase): skipped when a -Dtest=...
        // filter drags this class into the unit-test execution, which runs before the jar exists.
        assumeTrue(jar != null, "goloom.agent.jar not set: run through `mvn verify` / `mvn install`");
        agentJar = Path.of(jar);
        assertTrue(Files.isRegularFile(agentJar), agentJar + " does not exist");
        testClasses = Path.of(AgentIT.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private record Result(int exit, String out, String err) {
        long number(String key) {
            return out.lines().filter(l -> l.startsWith(key + "=")).map(l -> Long.parseLong(l.substring(key.length() + 1)))
                    .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in:\n" + out + "\nstderr:\n" + err));
        }
    }

    private static Result java(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-XX:-UsePerfData"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM timed out: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void premainInstrumentsIncludedClassesOnly(@TempDir Path dir) throws Exception {
        Result r = java(dir, "-javaagent:" + agentJar + "=include=com.example.app.,exclude=com.example.app.gen.,verbose=true",
                "-cp", testClasses.toString(), "com.example.app.AgentMain");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.number("work-checks") >= 1000, r.out());
        assertEquals(0, r.number("gen-checks"), "excluded package must not be instrumented");
        assertTrue(r.out().contains("result=332833500,499500"), r.out());
        assertTrue(r.err().contains("goloom-agent: installed (include=[com.example.app.]"), r.err());
        assertTrue(r.err().contains("goloom-agent: instrumented com.example.app.Work ("), r.err());
        assertTrue(!r.err().contains("com.example.app.gen.Generated"), r.err());
        assertTrue(!r.err().contains("uninstrumented"), r.err());
    }

    @Test
    void badArgumentsStopTheJvmWithAClearMessage(@TempDir Path dir) throws Exception {
        Result r = java(dir, "-javaagent:" + agentJar + "=include=java.util.", "-cp", testClasses.toString(),
                "com.example.app.AgentMain");
        // Status 1 and one message, not an exception out of premain: that aborts the JVM
        // ("FATAL ERROR in native method: processing of -javaagent failed", status 134).
        assertEquals(1, r.exit(), r.err());
        assertFalse(r.err().contains("FATAL ERROR"), r.err());
        assertTrue(r.err().startsWith("goloom-agent: bad arguments 'include=java.util.'"), r.err());
        assertTrue(r.err().contains("never instruments java.*"), r.err());
    }

    @Test
    void dynamicAttachRetransformsLoadedClassesAndInstrumentsNewOnes(@TempDir Path dir) throws Exception {
        Result r = java(dir, "-Djdk.attach.allowAttachSelf=true", "-XX:+EnableDynamicAgentLoading",
                "-cp", testClasses.toString(), "com.example.app.AttachMain",
                agentJar.toString(), "include=com.example.app.,exclude=com.example.app.gen.");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.number("retransformed-checks") >= 500, r.out());
        assertTrue(r.number("late-checks") >= 111, r.out());
        assertTrue(r.out().contains("result=true,111"), r.out());
    }

    @Test
    void launcherAgentClassInAnExecutableJarTakesArgumentsFromTheSystemProperty(@TempDir Path dir) throws Exception {
        Files.copy(agentJar, dir.resolve("goloom-agent.jar"), StandardCopyOption.REPLACE_EXISTING);
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(Attributes.Name.MAIN_CLASS, "com.example.app.AgentMain");
        a.put(Attributes.Name.CLASS_PATH, "goloom-agent.jar");
        a.putValue("Launcher-Agent-Class", "io.goloom.agent.GoloomAgent");
        Path app = dir.resolve("app.jar");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(app), mf);
             Stream<Path> files = Files.walk(testClasses.resolve("com/example/app"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(testClasses.relativize(f).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(f));
                jar.closeEntry();
            }
        }
        Result r = java(dir, "-Dgoloom.agent=include=com.example.app.,exclude=com.example.app.gen.", "-jar", app.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.number("work-checks") >= 1000, r.out());
        assertEquals(0, r.number("gen-checks"));
    }

    /** An exploded named module com.example.modapp (requires jdk.attach) holding the modapp mains. */
    private static Path namedModule(Path dir) throws IOException {
        Path mods = dir.resolve("mods");
        Path pkg = mods.resolve("com.example.modapp/com/example/modapp");
        Files.createDirectories(pkg);
        try (Stream<Path> files = Files.list(testClasses.resolve("com/example/modapp"))) {
            for (Path f : files.toList()) {
                Files.copy(f, pkg.resolve(f.getFileName().toString()));
            }
        }
        byte[] moduleInfo = ClassFile.of().buildModule(ModuleAttribute.of(ModuleDesc.of("com.example.modapp"), mb -> mb
                .requires(ModuleDesc.of("java.base"), ClassFile.ACC_MANDATED, null)
                .requires(ModuleDesc.of("jdk.attach"), 0, null)
                .exports(PackageDesc.of("com.example.modapp"), 0)));
        try (OutputStream o = Files.newOutputStream(mods.resolve("com.example.modapp/module-info.class"))) {
            o.write(moduleInfo);
        }
        return mods;
    }

    /**
     * Instrumented code in a named module links to YieldPoint in the class path's unnamed
     * module. (HotSpot already gives modules a read edge to every unnamed module while a
     * ClassFileLoadHook agent is present; the transformer adds the edge itself if it is missing.)
     */
    @Test
    void namedModuleCodeIsInstrumentedAndLinks(@TempDir Path dir) throws Exception {
        Path mods = namedModule(dir);
        Result r = java(dir, "-javaagent:" + agentJar + "=include=com.example.modapp.",
                "--module-path", mods.toString(), "-m", "com.example.modapp/com.example.modapp.ModMain");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("module=com.example.modapp"), r.out());
        assertTrue(r.number("mod-checks") >= 100, r.out());
        assertEquals("", r.err().strip());
    }

    @Test
    void dynamicAttachRetransformsANamedModulesLoadedClass(@TempDir Path dir) throws Exception {
        Path mods = namedModule(dir);
        Result r = java(dir, "-Djdk.attach.allowAttachSelf=true", "-XX:+EnableDynamicAgentLoading",
                "--enable-native-access=java.instrument", "--module-path", mods.toString(),
                "-m", "com.example.modapp/com.example.modapp.ModAttachMain", agentJar.toString(),
                "include=com.example.modapp.");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.number("mod-checks") >= 100, r.out());
        assertTrue(r.out().contains("result=true"), r.out());
    }
}
