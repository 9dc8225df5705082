package io.goloom.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance of "a library people can depend on", done as a user does it: {@code ./goloom
 * install} into a local repository, then {@code examples/hello-maven}, copied to a directory of
 * its own, built (its test runs under surefire with goloom's flags) and run with
 * {@code exec:exec}. Both use a temporary local repository, never the user's ~/.m2: its
 * settings mirror every repository to this build's local repository (a file: URL), so the test
 * runs offline and reads plugins from there without writing to it.
 */
class HelloMavenTest {

    static final long INSTALL_SECONDS = 600;

    @Test
    void installThenBuildAndRunTheSampleProject(@TempDir Path tmp) throws Exception {
        String version = System.getProperty("goloom.version");
        String m2 = System.getProperty("goloom.m2.repository");
        assertNotNull(version, "run by the build (goloom.version)");
        assertNotNull(m2, "run by the build (goloom.m2.repository)");
        Path repo = tmp.resolve("repo");
        Path settings = tmp.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <mirrors>
                    <mirror><id>this-build</id><mirrorOf>*</mirrorOf><url>%s</url></mirror>
                  </mirrors>
                </settings>
                """.formatted(Path.of(m2).toUri()));
        List<String> mvnArgs = List.of("-s", settings.toString(), "-Dmaven.repo.local=" + repo);

        // 1. ./goloom install
        Repo.Run install = Repo.run(Repo.ROOT, concat(List.of("./goloom", "install"), mvnArgs), INSTALL_SECONDS);
        assertEquals(0, install.status(), "./goloom install failed:\n" + install.output());
        Path dir = repo.resolve("io/goloom/goloom/" + version);
        Path jar = dir.resolve("goloom-" + version + ".jar");
        for (String f : List.of(jar.getFileName().toString(), "goloom-" + version + "-sources.jar",
                "goloom-" + version + "-javadoc.jar", "goloom-" + version + ".pom")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), "not installed: " + dir.resolve(f));
        }
        assertTrue(Files.isRegularFile(repo.resolve("io/goloom/goloom-bom/" + version + "/goloom-bom-" + version + ".pom")));
        try (JarFile j = new JarFile(jar.toFile())) {
            assertEquals("io.goloom", j.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
            for (String entry : List.of("io/goloom/core/G.class", "io/goloom/timers/", "io/goloom/netpoll/",
                    "io/goloom/scheduler/GoRuntime.class", "META-INF/goloom/goloom.jvmargs")) {
                assertTrue(j.stream().anyMatch(e -> e.getName().startsWith(entry)), "the goloom jar lacks " + entry);
            }
            assertFalse(j.stream().anyMatch(e -> e.getName().endsWith("module-info.class")), "one jar, one automatic module");
            assertEquals(Files.readString(Repo.ROOT.resolve("goloom.jvmargs")),
                    new String(j.getInputStream(j.getEntry("META-INF/goloom/goloom.jvmargs")).readAllBytes()));
        }
        String pom = Files.readString(dir.resolve("goloom-" + version + ".pom"));
        assertFalse(pom.contains("<artifactId>goloom-core</artifactId>"), "the installed POM still depends on the modules:\n" + pom);
        assertTrue(pom.contains("<name>Apache-2.0</name>") || Files.readString(repo.resolve(
                "io/goloom/goloom-parent/" + version + "/goloom-parent-" + version + ".pom")).contains("<name>Apache-2.0</name>"));

        // 2. The sample project, in a directory of its own, as a user builds and runs it.
        Path project = tmp.resolve("hello-maven");
        copy(Repo.ROOT.resolve("examples/hello-maven"), project);
        // exec:exec is named in full: resolving the "exec" prefix needs the remote group metadata,
        // which a local repository used as a mirror does not have (online, "exec:exec" works).
        Repo.Run build = Repo.run(project, concat(List.of("mvn", "-B", "package",
                "org.codehaus.mojo:exec-maven-plugin:3.5.0:exec"), mvnArgs), INSTALL_SECONDS);
        assertEquals(0, build.status(), "mvn package exec:exec of the sample failed:\n" + build.output());
        assertTrue(build.output().contains("sum of 1..1000000 = 500000500000"), build.output());
        assertTrue(build.output().contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), build.output());
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }

    /** Copies the sample's sources (not a target/ left by someone building it in place). */
    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.sorted(Comparator.naturalOrder()).toList()) {
                Path rel = from.relativize(f);
                if (rel.startsWith("target")) {
                    continue;
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest);
                }
            }
        }
    }
}
