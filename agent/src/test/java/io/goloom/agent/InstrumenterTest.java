package io.goloom.agent;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bytecode shapes javac does not produce, built with the ClassFile API: switches with backward
 * targets, pre-Java-6 classes without stack maps, methods at the code-size and branch-offset
 * limits, entry checks, and idempotence.
 */
class InstrumenterTest {
    private static final MethodTypeDesc INT_INT = MethodTypeDesc.of(CD_int, CD_int);
    private final AtomicInteger calls = new AtomicInteger();

    @AfterEach
    void restore() {
        YieldPoint.requests = 0;
        YieldPoint.handler = null;
    }

    /** A static method {@code int m(int)} in a fresh class. */
    private static byte[] classWith(String name, int major, Consumer<CodeBuilder> body) {
        return ClassFile.of().build(ClassDesc.of("com.example.gen." + name), clb -> {
            clb.withVersion(major, 0);
            clb.withMethodBody("m", INT_INT, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, body);
        });
    }

    private int call(byte[] bytes, int arg) throws Throwable {
        Class<?> c = new Definer().define(bytes);
        Method m = c.getMethod("m", int.class);
        return (int) m.invoke(null, arg);
    }

    private void countCalls() {
        YieldPoint.handler = calls::incrementAndGet;
        YieldPoint.requests = 1;
    }

    /** acc += 3 while --n > 0, the loop closed by a tableswitch whose default jumps back. */
    private static void tableSwitchLoop(CodeBuilder cb) {
        Label body = cb.newLabel();
        Label end = cb.newLabel();
        cb.iconst_0().istore(1);
        cb.labelBinding(body);
        cb.iinc(1, 3).iinc(0, -1).iload(0);
        cb.tableswitch(0, 0, body, List.of(SwitchCase.of(0, end)));
        cb.labelBinding(end);
        cb.iload(1).ireturn();
    }

    @Test
    void tableswitchWithABackwardTargetGetsACheck() throws Throwable {
        byte[] original = classWith("TableLoop", ClassFile.latestMajorVersion(), InstrumenterTest::tableSwitchLoop);
        Instrumenter.Result r = new Instrumenter(false).instrument(original);
        assertNotNull(r);
        assertEquals(1, r.backEdges());
        assertEquals(List.of(), ClassFile.of().verify(r.bytes()));
        assertEquals(call(original, 5), call(r.bytes(), 5));
        countCalls();
        assertEquals(15, call(r.bytes(), 5));
        assertEquals(5, calls.get());
    }

    @Test
    void lookupswitchWithABackwardCaseGetsACheck() throws Throwable {
        byte[] original = classWith("LookupLoop", ClassFile.latestMajorVersion(), cb -> {
            Label body = cb.newLabel();
            Label end = cb.newLabel();
            cb.iconst_0().istore(1);
            cb.labelBinding(body);
            cb.iinc(1, 2).iinc(0, -1).iload(0);
            // n > 0 loops through a case target; 0 leaves through another; default leaves.
            cb.lookupswitch(end, List.of(SwitchCase.of(0, end), SwitchCase.of(1, body), SwitchCase.of(2, body),
                    SwitchCase.of(3, body), SwitchCase.of(4, body)));
            cb.labelBinding(end);
            cb.iload(1).ireturn();
        });
        Instrumenter.Result r = new Instrumenter(false).instrument(original);
        assertNotNull(r);
        assertEquals(1, r.backEdges());
        assertEquals(List.of(), ClassFile.of().verify(r.bytes()));
        countCalls();
        assertEquals(10, call(r.bytes(), 5));
        assertEquals(5, calls.get());
    }

    @Test
    void preJava6ClassWithoutStackMapsIsInstrumented() throws Throwable {
        byte[] original = classWith("OldLoop", ClassFile.JAVA_5_VERSION, InstrumenterTest::tableSwitchLoop);
        Instrumenter.Result r = new Instrumenter(false).instrument(original);
        assertNotNull(r);
        countCalls();
        assertEquals(12, call(r.bytes(), 4)); // verified by the old (inference) verifier
        assertEquals(4, calls.get());
    }

    @Test
    void forwardBranchesAreLeftAlone() {
        byte[] original = classWith("NoLoop", ClassFile.latestMajorVersion(), cb -> {
            Label neg = cb.newLabel();
            cb.iload(0).iflt(neg).iload(0).ireturn();
            cb.labelBinding(neg);
            cb.iload(0).ineg().ireturn();
        });
        assertNull(new Instrumenter(false).instrument(original));
        assertNull(new Instrumenter(true).instrument(original), "a leaf method gets no entry check");
    }

    @Test
    void entryChecksGoToMethodsThatCallSomethingIncludingConstructorsBeforeSuper() throws Throwable {
        ClassDesc self = ClassDesc.of("com.example.gen.Entry");
        byte[] original = ClassFile.of().build(self, clb -> {
            clb.withMethodBody(INIT_NAME, MethodTypeDesc.of(CD_void), ClassFile.ACC_PUBLIC,
                    cb -> cb.aload(0).invokespecial(CD_Object, INIT_NAME, MethodTypeDesc.of(CD_void)).return_());
            clb.withMethodBody("m", INT_INT, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                    cb -> cb.iload(0).invokestatic(self, "leaf", INT_INT).ireturn());
            clb.withMethodBody("leaf", INT_INT, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                    cb -> cb.iload(0).iconst_1().iadd().ireturn());
        });
        assertNull(new Instrumenter(false).instrument(original), "no loops, no entry: nothing to do");
        Instrumenter.Result r = new Instrumenter(true).instrument(original);
        assertNotNull(r);
        assertEquals(0, r.backEdges());
        assertEquals(2, r.entries(), "<init> and m call something; leaf does not");
        assertEquals(0, Bytecode.checks(Bytecode.method(r.bytes(), "leaf")));
        assertTrue(Instrumenter.isCheck(Bytecode.method(r.bytes(), INIT_NAME).code().orElseThrow()
                .elementStream().filter(e -> e instanceof Instruction).map(e -> (Instruction) e)
                .findFirst().orElseThrow()),
                "the constructor's first instruction, before super(), is the check");
        assertEquals(List.of(), ClassFile.of().verify(r.bytes()));
        Class<?> c = new Definer().define(r.bytes());
        countCalls();
        c.getConstructor().newInstance();
        assertEquals(8, (int) c.getMethod("m", int.class).invoke(null, 7));
        assertEquals(2, calls.get());
        assertNull(new Instrumenter(true).instrument(r.bytes()), "idempotent");
    }

    /**
     * javac's shape for a recursive factory (Jackson has many): the method starts with
     * {@code new}, and the frame at the join of the conditional holds that object as
     * {@code uninitialized(0)}. The entry check must go before the label at offset 0, or the
     * frame names the check: ClassFormatError "bad offset for Uninitialized".
     */
    static final class Node {
        final Node next;

        Node(Node next) {
            this.next = next;
        }

        static Node build(int n) {
            return new Node(n > 0 ? build(n - 1) : null);
        }

        static int depth(int n) {
            int d = 0;
            for (Node x = build(n); x != null; x = x.next) {
                d++;
            }
            return d;
        }
    }

    @Test
    void entryCheckBeforeALeadingNewKeepsTheUninitializedFrameValid() throws Throwable {
        byte[] original;
        try (var in = InstrumenterTest.class.getResourceAsStream("InstrumenterTest$Node.class")) {
            original = in.readAllBytes();
        }
        Instrumenter.Result r = new Instrumenter(true).instrument(original);
        assertNotNull(r);
        assertEquals(List.of(), ClassFile.of().verify(r.bytes()));
        MethodModel build = Bytecode.method(r.bytes(), "build");
        List<Instruction> insns = build.code().orElseThrow().elementStream()
                .filter(e -> e instanceof Instruction).map(e -> (Instruction) e).toList();
        assertTrue(Instrumenter.isCheck(insns.get(0)), "the entry check is first");
        assertEquals(Opcode.NEW, insns.get(1).opcode());
        assertEquals(Bytecode.linesAndOpcodes(Bytecode.method(original, "build")), Bytecode.linesAndOpcodes(build));
        Class<?> c = new Definer().define(r.bytes()); // HotSpot's verifier runs when it links
        countCalls();
        Method depth = c.getDeclaredMethod("depth", int.class);
        depth.setAccessible(true); // another runtime package
        assertEquals(5, (int) depth.invoke(null, 4));
        assertEquals(5 + 5 + 1 + 5, calls.get(), "build, Node.<init> (x5 each) and depth at entry; the back-edge x5");
        assertNull(new Instrumenter(true).instrument(r.bytes()), "idempotent");
    }

    @Test
    void methodPushedPastTheCodeSizeLimitFailsAndTheTransformerLeavesTheClassAlone() throws Throwable {
        // 7000 loops of 9 bytes: 63 KB of code, fine; with 3 more bytes per loop it cannot fit.
        byte[] original = classWith("Huge", ClassFile.latestMajorVersion(), cb -> {
            cb.iconst_0().istore(1);
            for (int i = 0; i < 7000; i++) {
                Label top = cb.newLabel();
                cb.iconst_2().istore(2);
                cb.labelBinding(top);
                cb.iinc(2, -1).iload(2).ifgt(top);
            }
            cb.iload(0).ireturn();
        });
        assertEquals(41, call(original, 41));
        assertThrows(IllegalArgumentException.class, () -> new Instrumenter(false).instrument(original));
        assertLeftAloneAndLoggedOnce("com/example/gen/Huge", original, "Code length");
    }

    @Test
    void backwardBranchPushedOutOfShortRangeFailsAndTheTransformerLeavesTheClassAlone() throws Throwable {
        // ifgt at offset -32766 from its target: legal. The check in front of it makes it -32769.
        byte[] original = classWith("FarJump", ClassFile.latestMajorVersion(), cb -> {
            Label top = cb.newLabel();
            cb.iconst_2().istore(1);
            cb.labelBinding(top);
            cb.iinc(1, -1);
            for (int i = 0; i < 32762; i++) {
                cb.nop();
            }
            cb.iload(1).ifgt(top);
            cb.iload(0).ireturn();
        });
        assertEquals(3, call(original, 3));
        assertThrows(IllegalArgumentException.class, () -> new Instrumenter(false).instrument(original));
        assertLeftAloneAndLoggedOnce("com/example/gen/FarJump", original, "offset");
    }

    private static void assertLeftAloneAndLoggedOnce(String internalName, byte[] bytes, String reason) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        YieldPointTransformer t = new YieldPointTransformer(AgentConfig.parse("include=com.example.gen."), null,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        ClassLoader app = InstrumenterTest.class.getClassLoader();
        assertNull(t.transform(app.getUnnamedModule(), app, internalName, null, null, bytes));
        assertNull(t.transform(app.getUnnamedModule(), app, internalName, null, null, bytes));
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("goloom-agent: left " + internalName.replace('/', '.') + " uninstrumented: "), text);
        assertTrue(text.contains(reason), text);
        assertEquals(2, t.failed.get(), "both attempts failed, one line logged");
    }

    @Test
    void userWrittenCheckBeforeABackEdgeCountsAsInstrumented() {
        byte[] original = classWith("Manual", ClassFile.latestMajorVersion(), cb -> {
            Label top = cb.newLabel();
            cb.labelBinding(top);
            cb.iinc(0, -1);
            cb.invokestatic(Instrumenter.YIELD_POINT, "check", MethodTypeDesc.of(CD_void));
            cb.iload(0).pop(); // an instruction in between: the check no longer guards the branch
            cb.iload(0).ifgt(top);
            Label again = cb.newLabel();
            cb.labelBinding(again);
            cb.iinc(0, 1).iload(0).bipush(3);
            cb.invokestatic(Instrumenter.YIELD_POINT, "check", MethodTypeDesc.of(CD_void));
            cb.if_icmplt(again); // guarded: left as is
            cb.iload(0).ireturn();
        });
        Instrumenter.Result r = new Instrumenter(false).instrument(original);
        assertNotNull(r);
        assertEquals(1, r.backEdges());
        assertEquals(3, Bytecode.checks(r.bytes()));
    }

    /** Defines each class in its own loader (so the same name can be defined twice). */
    private static final class Definer extends ClassLoader {
        Definer() {
            super(InstrumenterTest.class.getClassLoader());
        }

        Class<?> define(byte[] bytes) {
            return defineClass(null, bytes, 0, bytes.length);
        }
    }
}
