package io.goloom.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * A jar's manifest cannot read goloom.jvmargs, so the build writes its Add-Exports / Add-Opens
 * (honoured for java -jar and agent jars) in its own format; this holds the built jars to the
 * argfile: every export and open in the file is in the manifest.
 */
class ManifestFlagsTest {

    @Test
    void theJarsManifestsCarryEveryExportAndOpenOfTheArgfile() throws Exception {
        List<String> args = Arrays.asList(Files.readString(Repo.ROOT.resolve("goloom.jvmargs"))
                .lines().filter(l -> !l.startsWith("#")).flatMap(l -> Arrays.stream(l.trim().split("\\s+")))
                .filter(a -> !a.isEmpty()).toArray(String[]::new));
        List<String> exports = new ArrayList<>();
        List<String> opens = new ArrayList<>();
        for (int i = 0; i < args.size() - 1; i++) {
            String pkg = args.get(i + 1).replaceAll("=.*", "");
            if (args.get(i).equals("--add-exports")) {
                exports.add(pkg);
            } else if (args.get(i).equals("--add-opens")) {
                opens.add(pkg);
            }
        }
        assertTrue(!exports.isEmpty() && !opens.isEmpty(), args.toString());
        String version = System.getProperty("goloom.version", "0.1.0-SNAPSHOT");
        for (Path jar : List.of(Repo.ROOT.resolve("library/target/goloom-" + version + ".jar"),
                Repo.ROOT.resolve("launcher/target/goloom.jar"),
                Repo.ROOT.resolve("core/target/goloom-core-" + version + ".jar"))) {
            assertTrue(Files.isRegularFile(jar), "not built: " + jar);
            try (JarFile j = new JarFile(jar.toFile())) {
                Attributes a = j.getManifest().getMainAttributes();
                List<String> addExports = Arrays.asList(String.valueOf(a.getValue("Add-Exports")).split("\\s+"));
                List<String> addOpens = Arrays.asList(String.valueOf(a.getValue("Add-Opens")).split("\\s+"));
                assertTrue(addExports.containsAll(exports), jar + ": Add-Exports " + addExports + " lacks some of " + exports);
                assertTrue(addOpens.containsAll(opens), jar + ": Add-Opens " + addOpens + " lacks some of " + opens);
                assertTrue("ALL-UNNAMED".equals(a.getValue("Enable-Native-Access")), jar + ": Enable-Native-Access");
            }
        }
    }
}
