package io.goloom.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a reader of the README meets: every relative link leads to a committed file, the
 * published results are not hidden by .gitignore, the example is the real file that
 * HelloMavenTest builds and runs, and the dependency shown is this build's version.
 */
class ReadmeTest {

    /** [text](target) and ![alt](target); the target up to whitespace or ')'. */
    private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");

    @Test
    void everyRelativeLinkInTheMarkdownResolvesToACommittedFile() throws Exception {
        List<String> tracked = Repo.trackedFiles();
        Assumptions.assumeTrue(tracked != null, "not a git checkout");
        Set<String> files = new HashSet<>(tracked);
        Set<String> dirs = new HashSet<>();
        for (String f : tracked) {
            for (int i = f.indexOf('/'); i >= 0; i = f.indexOf('/', i + 1)) {
                dirs.add(f.substring(0, i));
            }
        }
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (String md : tracked) {
            if (!md.endsWith(".md")) {
                continue;
            }
            String text = Files.readString(Repo.ROOT.resolve(md));
            Matcher m = LINK.matcher(stripCode(text));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || target.startsWith("#")) {
                    continue; // https:, mailto:, an anchor in the same file
                }
                int hash = target.indexOf('#');
                String path = hash >= 0 ? target.substring(0, hash) : target;
                Path parent = Path.of(md).getParent();
                String resolved = (parent == null ? Path.of(path) : parent.resolve(path)).normalize().toString().replace('\\', '/');
                resolved = resolved.endsWith("/") ? resolved.substring(0, resolved.length() - 1) : resolved;
                checked++;
                if (!files.contains(resolved) && !dirs.contains(resolved)) {
                    broken.add(md + ": (" + target + ") -> " + resolved + " is not a committed file");
                }
            }
        }
        assertTrue(broken.isEmpty(), String.join("\n", broken));
        assertTrue(checked > 0, "no relative link found: is the pattern wrong?");
    }

    /** Fenced code blocks and inline code are not links. */
    private static String stripCode(String md) {
        return md.replaceAll("(?s)```.*?```", "").replaceAll("`[^`\\n]*`", "");
    }

    @Test
    void gitignoreDoesNotHideThePublishedResults() throws Exception {
        Assumptions.assumeTrue(Repo.trackedFiles() != null, "not a git checkout");
        for (String f : List.of("docs/results/report.md", "docs/results/ratios.png", "docs/results/new-file.md")) {
            Repo.Run r = Repo.run(Repo.ROOT, List.of("git", "check-ignore", "--no-index", "-v", f), 60);
            assertEquals(1, r.status(), f + " is ignored: " + r.output());
        }
    }

    @Test
    void theReadmeShowsTheExampleFileVerbatim() throws Exception {
        String readme = Files.readString(Repo.ROOT.resolve("README.md"));
        String hello = Files.readString(Repo.ROOT.resolve("examples/hello-maven/src/main/java/com/example/hello/Hello.java"));
        assertTrue(readme.contains("```java\n" + hello + "```"),
                "README.md must show examples/hello-maven/src/main/java/com/example/hello/Hello.java as it is, in a java block");
    }

    @Test
    void theReadmeDependencyIsThisVersion() throws Exception {
        String readme = Files.readString(Repo.ROOT.resolve("README.md"));
        String version = System.getProperty("goloom.version");
        Assumptions.assumeTrue(version != null, "run by the build");
        String dep = "<dependency><groupId>io.goloom</groupId><artifactId>goloom</artifactId><version>" + version
                + "</version></dependency>";
        assertTrue(readme.contains(dep), "README.md must show the one-line dependency:\n" + dep);
        String sample = Files.readString(Repo.ROOT.resolve("examples/hello-maven/pom.xml"));
        assertTrue(sample.contains("<goloom.version>" + version + "</goloom.version>"),
                "examples/hello-maven/pom.xml must use goloom " + version);
    }
}
