package io.goloom.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The transformer's safety rules: filtering, loader visibility, failures left alone and logged once. */
class YieldPointTransformerTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(out, true, StandardCharsets.UTF_8);
    private final ClassLoader app = getClass().getClassLoader();
    private final byte[] basic = TransformingLoader.classBytes(app, "com.example.loops.Basic");

    private YieldPointTransformer transformer(String args) {
        return new YieldPointTransformer(AgentConfig.parse(args), null, log);
    }

    private String logged() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void corruptBytesAreLeftAloneAndLoggedOnce() {
        YieldPointTransformer t = transformer("include=com.example.");
        byte[] corrupt = Arrays.copyOf(basic, basic.length / 2);
        corrupt[0] = 0x12;
        for (int i = 0; i < 3; i++) {
            assertNull(t.transform(app.getUnnamedModule(), app, "com/example/Corrupt", null, null, corrupt));
        }
        assertNull(t.transform(app.getUnnamedModule(), app, "com/example/Null", null, null, null));
        String text = logged();
        assertEquals(2, text.lines().count(), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("goloom-agent: left com.example.Corrupt uninstrumented: ")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("goloom-agent: left com.example.Null uninstrumented: ")), text);
        assertEquals(4, t.failed.get());
    }

    @Test
    void classesOutsideTheFilterAreNotEvenParsed() {
        YieldPointTransformer t = transformer("include=*,exclude=com.example.loops.");
        byte[] garbage = {1, 2, 3};
        for (String name : new String[] {"java/util/Foo", "jdk/internal/Foo", "io/goloom/scheduler/Go",
                "io/goloom/agent/YieldPoint", "com/sun/Foo", "com/example/loops/Basic"}) {
            assertNull(t.transform(app.getUnnamedModule(), app, name, null, null, garbage), name);
        }
        assertNull(t.transform(app.getUnnamedModule(), app, null, null, null, garbage), "nameless class");
        assertEquals("", logged());
        assertEquals(0, t.failed.get());
    }

    @Test
    void includedClassIsInstrumentedAndVerboseSaysSo() {
        YieldPointTransformer t = transformer("include=com.example.loops.,verbose=true,verify=true");
        byte[] result = t.transform(app.getUnnamedModule(), app, "com/example/loops/Basic", null, null, basic);
        assertNotNull(result);
        assertEquals(Bytecode.checks(result), countBackEdges(basic));
        assertTrue(logged().startsWith("goloom-agent: instrumented com.example.loops.Basic ("), logged());
        assertEquals(1, t.instrumented.get());
    }

    /** Which check goes in decides whether a native goroutine may be switched there (AgentConfig). */
    @Test
    void onlyGoroutinesClassesGetTheCheckThatMaySwitchNativeGoroutines() {
        for (String args : new String[] {"include=com.example.loops.", "include=com.example.,goroutines=com.other."}) {
            byte[] out = transformer(args).transform(app.getUnnamedModule(), app, "com/example/loops/Basic", null, null, basic);
            assertNotNull(out, args);
            assertEquals(Set.of("checkVirtual"), checkNames(out), args);
        }
        for (String args : new String[] {"goroutines=com.example.loops.", "include=com.example.,goroutines=*"}) {
            byte[] out = transformer(args).transform(app.getUnnamedModule(), app, "com/example/loops/Basic", null, null, basic);
            assertNotNull(out, args);
            assertEquals(Set.of("check"), checkNames(out), args);
        }
    }

    private static Set<String> checkNames(byte[] classBytes) {
        Set<String> names = new HashSet<>();
        for (MethodModel m : Bytecode.parse(classBytes).methods()) {
            m.code().ifPresent(code -> code.forEach(e -> {
                if (e instanceof InvokeInstruction i && Instrumenter.isCheck(i)) {
                    names.add(i.name().stringValue());
                }
            }));
        }
        return names;
    }

    @Test
    void bootLoaderClassesAreSkippedSilently() {
        YieldPointTransformer t = transformer("include=com.example.loops.");
        assertNull(t.transform(null, null, "com/example/loops/Basic", null, null, basic));
        assertEquals("", logged());
    }

    @Test
    void loaderThatCannotSeeYieldPointIsSkippedAndLoggedOncePerLoader() throws Exception {
        YieldPointTransformer t = transformer("include=com.example.loops.");
        try (URLClassLoader isolated = new URLClassLoader("isolated", new URL[0], null)) {
            for (int i = 0; i < 3; i++) {
                assertNull(t.transform(isolated.getUnnamedModule(), isolated, "com/example/loops/Basic", null, null, basic));
            }
            assertFalse(t.canSeeYieldPoint(isolated));
        }
        String text = logged();
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.contains("does not resolve io.goloom.agent.YieldPoint"), text);
        assertTrue(t.canSeeYieldPoint(app));
        assertFalse(t.canSeeYieldPoint(ClassLoader.getPlatformClassLoader()));
        assertEquals(1, logged().lines().count(), "the platform loader is expected not to see it: no log");
    }

    @Test
    void loaderWithItsOwnCopyOfYieldPointIsSkipped() throws Exception {
        // A child-first loader over the agent's own classes defines a second YieldPoint: calls
        // would go to a copy the runtime never registers a handler on.
        URL agentClasses = YieldPoint.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader copy = new URLClassLoader("copy", new URL[] {agentClasses}, null)) {
            assertFalse(transformer("include=com.example.").canSeeYieldPoint(copy));
        }
    }

    @Test
    void retransformOfInstrumentedBytesChangesNothing() {
        YieldPointTransformer t = transformer("include=com.example.loops.");
        byte[] once = t.transform(app.getUnnamedModule(), app, "com/example/loops/Basic", null, null, basic);
        assertNotNull(once);
        assertNull(t.transform(app.getUnnamedModule(), app, "com/example/loops/Basic", null, null, once));
    }

    @Test
    void logStopsAfterTheCap() {
        YieldPointTransformer t = transformer("include=com.example.");
        for (int i = 0; i < YieldPointTransformer.MAX_LOGGED + 50; i++) {
            t.logOnce("k" + i, "message " + i);
        }
        assertEquals(YieldPointTransformer.MAX_LOGGED + 1, logged().lines().count());
        assertTrue(logged().contains("further failures are not reported"));
    }

    private static int countBackEdges(byte[] bytes) {
        return Bytecode.parse(bytes).methods().stream().mapToInt(Bytecode::backEdges).sum();
    }
}
