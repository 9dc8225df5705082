package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The patched java.base's files and options, in-process (the JVMs that use them: TransparentModeTest). */
class PatchedJavaBaseTest {

    @TempDir
    Path tmp;

    @Test
    void theCacheDirectoryHoldsTheRewrittenClassesAndIsReusedWhole() throws IOException {
        Path dir = PatchedJavaBase.write(tmp);
        assertEquals(tmp, dir.getParent());
        assertTrue(dir.getFileName().toString().startsWith("java.base-" + Runtime.version().feature() + "-"), dir.toString());
        Map<String, byte[]> files = JdkBridge.javaBasePatch();
        assertEquals(3, files.size());
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            assertArrayEquals(f.getValue(), Files.readAllBytes(dir.resolve(f.getKey())), f.getKey());
        }
        assertEquals(dir, PatchedJavaBase.write(tmp), "the same content: the same directory");
        try (var entries = Files.list(tmp)) {
            assertEquals(List.of(dir), entries.toList(), "no partial directory left behind");
        }
        // a damaged directory (a file cut short) is neither used nor silently overwritten
        Path vt = dir.resolve("java/lang/VirtualThread.class");
        Files.write(vt, new byte[10]);
        IOException e = assertThrows(IOException.class, () -> PatchedJavaBase.write(tmp));
        assertTrue(e.getMessage().contains("delete it"), e.getMessage());
    }

    /**
     * From a jar, an index maps this JDK and the jar to the directory, and a later write answers
     * from it without rewriting; an index whose directory no longer holds the files it lists is
     * ignored; another jar (here: another size) gets its own index.
     */
    @Test
    void aJarsIndexAnswersUntilItsDirectoryChanges() throws IOException {
        Path jar = Files.write(tmp.resolve("goloom.jar"), new byte[] {1, 2, 3});
        Path root = tmp.resolve("cache");
        Path dir = PatchedJavaBase.write(root, jar);
        Path index = root.resolve("index-" + PatchedJavaBase.sourceKey(jar));
        assertTrue(Files.isRegularFile(index), "index written");
        assertEquals(dir, PatchedJavaBase.write(root, jar));
        // point the index at a complete copy: the next write answers from the index
        Path copy = root.resolve("java.base-copy");
        for (String f : JdkBridge.javaBasePatch().keySet()) {
            Files.createDirectories(copy.resolve(f).getParent());
            Files.copy(dir.resolve(f), copy.resolve(f));
        }
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(index));
        lines.set(0, copy.getFileName().toString());
        Files.write(index, lines);
        assertEquals(copy, PatchedJavaBase.write(root, jar), "answered from the index");
        // a file of the copy cut short: the index is ignored, the content's directory returned and indexed again
        Files.write(copy.resolve("java/lang/VirtualThread.class"), new byte[10]);
        assertEquals(dir, PatchedJavaBase.write(root, jar));
        assertEquals(dir.getFileName().toString(), Files.readAllLines(index).get(0));
        // another jar: another key
        Files.write(jar, new byte[] {1, 2, 3, 4});
        assertTrue(!index.equals(root.resolve("index-" + PatchedJavaBase.sourceKey(jar))), "the key follows the jar");
        assertEquals(dir, PatchedJavaBase.write(root, jar));
        // a class directory has no index
        assertEquals(null, PatchedJavaBase.sourceKey(tmp));
    }

    @Test
    void optionsNameTheDirectoryTheJarAndTheProcs() throws IOException {
        System.setProperty(PatchedJavaBase.CACHE_PROPERTY, tmp.toString());
        try {
            List<String> o = PatchedJavaBase.jvmOptions(Path.of("/g/goloom.jar"), null);
            assertEquals(List.of("--patch-module", "java.base=" + PatchedJavaBase.write(tmp), "-Dgoloom.transparent.jar=/g/goloom.jar",
                    "-Dgoloom.virtualThreadScheduler=goloom"), o);
            assertEquals("-Dgoloom.procs=4", PatchedJavaBase.jvmOptions(Path.of("/g/goloom.jar"), 4).getLast());
            assertThrows(IllegalArgumentException.class, () -> PatchedJavaBase.jvmOptions(Path.of("/g/goloom.jar"), 0));
        } finally {
            System.clearProperty(PatchedJavaBase.CACHE_PROPERTY);
        }
    }

    @Test
    void argumentFileWordsAreQuotedWhenJavaWouldSplitThem() {
        assertEquals("-Da=b", PatchedJavaBase.argFileWord("-Da=b"));
        assertEquals("\"-Dgoloom.transparent.jar=/a b/goloom.jar\"", PatchedJavaBase.argFileWord("-Dgoloom.transparent.jar=/a b/goloom.jar"));
        assertEquals("\"C:\\\\x \\\"y\\\"\"", PatchedJavaBase.argFileWord("C:\\x \"y\""));
        assertEquals("\"\"", PatchedJavaBase.argFileWord(""));
    }
}
