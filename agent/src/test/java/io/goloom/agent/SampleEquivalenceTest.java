package io.goloom.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.MethodModel;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The main guarantee, on the samples in {@code com.example.loops}: instrumented code
 * behaves exactly as the original (values, exceptions, messages, user frames and line numbers),
 * verifies, and really calls check() at its back-edges.
 */
class SampleEquivalenceTest {

    @ParameterizedTest(name = "entry={0}")
    @ValueSource(booleans = {false, true})
    void instrumentedSamplesBehaveExactlyLikeTheOriginals(boolean entry) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        YieldPointTransformer transformer = new YieldPointTransformer(
                AgentConfig.parse("include=com.example.loops." + (entry ? ",entry=true" : "")), null,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        TransformingLoader original = new TransformingLoader(Scenarios.PACKAGE, null);
        TransformingLoader instrumented = new TransformingLoader(Scenarios.PACKAGE, transformer);

        Map<String, Scenarios.Run> before = Scenarios.runAll(original);
        Map<String, Scenarios.Run> after = Scenarios.runAll(instrumented);

        assertEquals(before.keySet(), after.keySet());
        assertTrue(before.size() >= 45, "expected at least 45 scenarios, found " + before.size());
        List<String> mismatches = new ArrayList<>();
        for (String name : before.keySet()) {
            Scenarios.Run o = before.get(name);
            Scenarios.Run i = after.get(name);
            if (!o.outcome().equals(i.outcome())) {
                mismatches.add(name + "\n--- original:\n" + o.outcome() + "\n--- instrumented:\n" + i.outcome());
            }
            assertEquals(0, o.checks(), name + ": the original must not call check()");
            assertTrue(i.checks() > 0, name + ": the instrumented copy never called check()");
        }
        if (!mismatches.isEmpty()) {
            fail("outcomes differ:\n" + String.join("\n\n", mismatches));
        }
        assertEquals("", log.toString(StandardCharsets.UTF_8), "no class may fail to transform");
        assertTrue(transformer.instrumented.get() >= 10, "instrumented " + transformer.instrumented.get());

        // Every class the transformer touched passes the ClassFile API verifier too (HotSpot has
        // already verified them when they were defined).
        for (Map.Entry<String, byte[]> e : instrumented.defined.entrySet()) {
            assertEquals(List.of(), ClassFile.of().verify(e.getValue()), e.getKey());
        }
        assertNotNull(before.get("Exceptions.runHelpfulNpeInLoop").outcome());
        assertTrue(before.get("Exceptions.runHelpfulNpeInLoop").outcome().contains("because"),
                "helpful NPE message expected: " + before.get("Exceptions.runHelpfulNpeInLoop").outcome());
    }

    /** Every back-edge gets exactly one check; nothing else changes; lines stay; idempotent. */
    @Test
    void everyBackEdgeGetsOneCheckAndNothingElseMoves() throws Exception {
        Instrumenter instrumenter = new Instrumenter(false);
        int classes = 0;
        int edges = 0;
        for (Path file : sampleClassFiles()) {
            byte[] original = Files.readAllBytes(file);
            Instrumenter.Result result = instrumenter.instrument(original);
            int expected = 0;
            for (MethodModel m : Bytecode.parse(original).methods()) {
                expected += Bytecode.backEdges(m);
            }
            if (expected == 0) {
                assertNull(result, file + " has no back-edges and must be left alone");
                continue;
            }
            assertNotNull(result, file.toString());
            classes++;
            edges += expected;
            assertEquals(expected, result.backEdges(), file.toString());
            assertEquals(expected, Bytecode.checks(result.bytes()), file.toString());
            List<MethodModel> before = Bytecode.parse(original).methods();
            List<MethodModel> after = Bytecode.parse(result.bytes()).methods();
            assertEquals(before.size(), after.size());
            for (int k = 0; k < before.size(); k++) {
                MethodModel o = before.get(k);
                MethodModel i = after.get(k);
                assertEquals(Bytecode.key(o), Bytecode.key(i));
                assertEquals(Bytecode.backEdges(o), Bytecode.checks(i), file + " " + Bytecode.key(o));
                assertEquals(Bytecode.linesAndOpcodes(o), Bytecode.linesAndOpcodes(i), file + " " + Bytecode.key(o));
            }
            assertEquals(List.of(), ClassFile.of().verify(result.bytes()), file.toString());
            assertNull(instrumenter.instrument(result.bytes()), file + ": instrumenting twice must insert nothing");
            assertNull(new Instrumenter(true).instrument(new Instrumenter(true).instrument(original).bytes()),
                    file + ": entry=true twice must insert nothing");
        }
        assertTrue(classes >= 12 && edges >= 80, classes + " classes, " + edges + " back-edges");
    }

    /** Inside check() the user frame is the loop's, at the back-edge's line; below it, nothing new. */
    @Test
    void stackInsideCheckShowsTheLoopFrameAtTheBackEdgeLine() throws Exception {
        TransformingLoader loader = new TransformingLoader(Scenarios.PACKAGE, new YieldPointTransformer(
                AgentConfig.parse("include=com.example.loops."), null, System.err));
        Class<?> basic = Class.forName(Scenarios.PACKAGE + "Basic", true, loader);
        AtomicReference<StackTraceElement[]> seen = new AtomicReference<>();
        Runnable before = YieldPoint.virtualHandler;
        YieldPoint.virtualHandler = () -> seen.compareAndSet(null, new Throwable().getStackTrace());
        YieldPoint.virtualRequests = 1;
        try {
            basic.getMethod("runFor").invoke(null);
        } finally {
            YieldPoint.virtualRequests = 0;
            YieldPoint.virtualHandler = before;
        }
        StackTraceElement[] frames = seen.get();
        assertNotNull(frames, "handler not called");
        int i = 0;
        while (!frames[i].getClassName().equals(YieldPoint.class.getName())) {
            i++; // the handler lambda's own frames
        }
        assertEquals("slowVirtual", frames[i].getMethodName());
        assertEquals("checkVirtual", frames[i + 1].getMethodName(), "include= without goroutines=");
        StackTraceElement user = frames[i + 2];
        assertEquals(Scenarios.PACKAGE + "Basic", user.getClassName());
        assertEquals("runFor", user.getMethodName());
        int expectedLine = Bytecode.firstBackEdgeLine(Bytecode.method(
                TransformingLoader.classBytes(getClass().getClassLoader(), Scenarios.PACKAGE + "Basic"), "runFor"));
        assertEquals(expectedLine, user.getLineNumber());
        assertTrue(frames[i + 3].getClassName().startsWith("jdk.internal.reflect")
                || frames[i + 3].getClassName().startsWith("java.lang.reflect"), frames[i + 3].toString());
    }

    static List<Path> sampleClassFiles() throws IOException, URISyntaxException {
        Path root = Path.of(SampleEquivalenceTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (Stream<Path> files = Files.list(root.resolve("com/example/loops"))) {
            return files.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
    }
}
