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
