package io.goloom.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.MethodModel;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Real-world bytecode beyond the samples: a few hundred classes of {@code java.base}
 * (collections, concurrency, streams, regex: dense loops, switches, try/finally, monitors) are
 * instrumented as bytes (never loaded: the agent does not instrument the JDK, this only uses
 * it as a corpus) and checked like the samples: one check per back-edge, nothing else moved,
 * and the ClassFile API verifier accepts the result whenever it accepts the original.
 */
class JdkCorpusTest {
    private static final int LIMIT = 300;

    @Test
    void javaBaseClassesInstrumentAndVerify() throws IOException {
        corpus(false);
    }

    /** With entry checks too: many JDK methods start with {@code new} (uninitialized frames). */
    @Test
    void javaBaseClassesWithEntryChecksInstrumentAndVerify() throws IOException {
        corpus(true);
    }

    private static void corpus(boolean entry) throws IOException {
        FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
        List<Path> files = new ArrayList<>();
        for (String pkg : new String[] {"java/util", "java/util/concurrent", "java/util/regex", "java/util/stream"}) {
            try (Stream<Path> s = Files.list(jrt.getPath("modules/java.base", pkg))) {
                s.filter(p -> p.toString().endsWith(".class")).sorted().forEach(files::add);
            }
        }
        files = files.subList(0, Math.min(LIMIT, files.size()));
        Instrumenter instrumenter = new Instrumenter(entry);
        ClassFile cf = ClassFile.of();
        int instrumented = 0;
        int edges = 0;
        int entries = 0;
        List<String> failures = new ArrayList<>();
        for (Path p : files) {
            byte[] original = Files.readAllBytes(p);
            Instrumenter.Result r;
            try {
                r = instrumenter.instrument(original);
            } catch (RuntimeException e) {
                failures.add(p + ": " + e);
                continue;
            }
            int expected = Bytecode.parse(original).methods().stream().mapToInt(Bytecode::backEdges).sum();
            if (r == null) {
                assertEquals(0, expected, p.toString());
                continue;
            }
            instrumented++;
            edges += r.backEdges();
            entries += r.entries();
            assertEquals(expected, r.backEdges(), p.toString());
            List<MethodModel> before = Bytecode.parse(original).methods();
            List<MethodModel> after = Bytecode.parse(r.bytes()).methods();
            for (int k = 0; k < before.size(); k++) {
                assertEquals(Bytecode.linesAndOpcodes(before.get(k)), Bytecode.linesAndOpcodes(after.get(k)),
                        p + " " + Bytecode.key(before.get(k)));
            }
            if (cf.verify(original).isEmpty() && !cf.verify(r.bytes()).isEmpty()) {
                failures.add(p + ": " + cf.verify(r.bytes()));
            }
            assertNull(instrumenter.instrument(r.bytes()), p + " twice");
        }
        assertEquals(List.of(), failures);
        assertTrue(instrumented > 100 && edges > 600, instrumented + " classes, " + edges + " back-edges");
        assertTrue(!entry || entries > 1000, entries + " entry checks");
    }
}
