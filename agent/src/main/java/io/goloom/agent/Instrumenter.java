package io.goloom.agent;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.MethodTransform;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.StackMapTableAttribute;
import java.lang.classfile.attribute.UnknownAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Inserts {@code invokestatic io/goloom/agent/YieldPoint.check()V} into class bytes: before
 * every backward branch and, optionally, at method entry. Pure bytes in, bytes out: no class
 * loading, no filtering (that is {@link YieldPointTransformer}'s job). Thread-safe (immutable).
 *
 * <h2>Where the checks go</h2>
 * <ul>
 *   <li><b>Back-edges.</b> A branch instruction ({@code goto}, {@code goto_w}, every
 *       {@code if*}) whose target label is bound at or before the branch in code order, and a
 *       {@code tableswitch}/{@code lookupswitch} with any such target (default included). In
 *       javac's output that is exactly the loop back-edges of for, while, do-while, for-each,
 *       labelled continue and nested loops; any other backward jump (hand-written or generated
 *       state machines) is a potential loop too, so it gets a check as well. Every cycle made
 *       of branches and fall-throughs contains a branch backward in code order, so every loop
 *       passes a check on every iteration. (Not covered: a cycle closed only by an exception
 *       edge to a handler placed before the throwing code, which javac never emits, and
 *       jsr/ret subroutines in pre-Java-6 class files.) The check goes immediately before the
 *       branch: it runs whether or not a conditional back-edge is taken, which costs one extra
 *       check when the loop exits and keeps the insertion free of new labels.</li>
 *   <li><b>Entry</b> (optional): before the first instruction, in methods that contain at least
 *       one call, bridge methods excepted (they only forward). A method without calls cannot
 *       recurse, and its loops already have checks, so an entry check there buys nothing (Go's
 *       compiler omits the stack-check prologue of small leaf functions for the same reason).
 *       Constructors get it before {@code super()}: a static call is legal there. It goes at
 *       offset 0, <em>before</em> any label bound at the first instruction, not after it like
 *       the back-edge checks: a StackMapTable entry {@code uninitialized(L)} names the
 *       {@code new} instruction at L, and a method may start with {@code new}
 *       ({@code return new Node(build(n - 1))}); a check between L and that {@code new} would
 *       make the frame point at the check (ClassFormatError "bad offset for Uninitialized").
 *       A frame at offset 0 (a loop head at the start) moves with its label to the
 *       instruction after the check and still describes the method's initial state, which
 *       flows into it through the check unchanged. So the entry check lies outside any
 *       exception range or loop that begins at offset 0 (it runs once per call, as an entry
 *       check should); it gets the method's first line number.</li>
 * </ul>
 *
 * <h2>Why the class stays verifier-clean, with the same stack traces</h2>
 * <ul>
 *   <li>{@code check()V} takes and returns nothing: the operand stack and locals after it are
 *       those before it. No label is created or removed. A back-edge check goes immediately
 *       before a branch I, after the labels bound at I; those labels now name the check (I is
 *       never a {@code new}, so no {@code uninitialized(L)} type names it), and the
 *       state on entry to the check is the state they described for I. So every branch
 *       target, exception range bound and StackMapTable frame still describes the same state,
 *       and a check lies inside exactly the exception ranges that contain I, in I's frame, so
 *       every handler frame stays compatible.</li>
 *   <li>So the original StackMapTable stays valid; it is carried over with its frames
 *       re-pointed through the ClassFile API's labels ({@code DROP_STACK_MAPS} plus the
 *       original frames re-emitted), not regenerated. Regeneration would need the class
 *       hierarchy of every type the method merges, i.e. reading or loading other classes
 *       through the defining loader from inside a transformer (ClassCircularityError, loading
 *       order changes, failure for classes without a .class resource), and it would also
 *       patch dead code; carrying the frames over needs none of that and changes nothing the
 *       verifier already accepted.</li>
 *   <li>No LineNumberTable entry is added: each check inherits the line of the branch that
 *       follows it (the entry check, the method's first line), and every original instruction
 *       keeps its line. The check adds no frame to a stack trace except while the thread is
 *       inside check() itself.</li>
 *   <li>Short branches are not widened ({@code FAIL_ON_SHORT_JUMPS}): widening a conditional
 *       branch adds a label that would need a frame. If the three bytes per check push a
 *       16-bit branch offset out of range, or the method past 65535 bytes, the ClassFile API
 *       throws and the caller leaves the whole class untouched.</li>
 *   <li>Code attributes the API does not know ({@link UnknownAttribute}) may hold bytecode
 *       offsets that are stale after insertion; they are dropped from changed methods (the
 *       JVM ignores them). Unchanged methods are copied byte for byte.</li>
 * </ul>
 *
 * <h2>Idempotence</h2>
 * A back-edge already preceded (no label in between) by a call to check(), and a method whose
 * first instruction is such a call, are left as they are: instrumenting instrumented bytes
 * (a retransform, a second agent) inserts nothing.
 */
public final class Instrumenter {

    static final ClassDesc YIELD_POINT = ClassDesc.of("io.goloom.agent.YieldPoint");
    static final String YIELD_POINT_INTERNAL = "io/goloom/agent/YieldPoint";
    static final String CHECK = "check";
    /** The yield point that only JDK virtual threads honour (see {@link AgentConfig}). */
    static final String CHECK_VIRTUAL = "checkVirtual";
    static final MethodTypeDesc CHECK_TYPE = MethodTypeDesc.of(ConstantDescs.CD_void);

    /** What {@link #instrument} inserted into one class. */
    public record Result(byte[] bytes, int backEdges, int entries) {
        public int checks() {
            return backEdges + entries;
        }
    }

    private final boolean entry;
    private final ClassFile classFile;

    /** @param entry also insert a check at the entry of methods that call something */
    public Instrumenter(boolean entry) {
        this.entry = entry;
        this.classFile = ClassFile.of(ClassFile.StackMapsOption.DROP_STACK_MAPS,
                ClassFile.ShortJumpsOption.FAIL_ON_SHORT_JUMPS);
    }

    /**
     * Instruments one class file.
     *
     * @return the new bytes and what was inserted, or null when there is nothing to insert
     *         (no back-edges, or already instrumented)
     * @throws IllegalArgumentException (or another RuntimeException) when the bytes cannot be
     *         parsed or the result cannot be written (code too large, branch offset overflow);
     *         the caller must then leave the class as it was
     */
    public Result instrument(byte[] classfile) {
        return instrument(classfile, true);
    }

    /**
     * Instruments one class file with yield points of one kind.
     *
     * @param goroutines insert {@code YieldPoint.check()}, which may also switch a native
     *        goroutine; else {@code YieldPoint.checkVirtual()}, which only JDK virtual threads
     *        honour (see {@link AgentConfig}: for code that may hold thread-owned state)
     * @see #instrument(byte[])
     */
    public Result instrument(byte[] classfile, boolean goroutines) {
        String check = goroutines ? CHECK : CHECK_VIRTUAL;
        ClassModel model = classFile.parse(classfile);
        // Plan first: most classes of an included package may have nothing to insert, and then
        // nothing is built. A class cannot have two methods with the same name and descriptor.
        Map<String, int[]> plan = new HashMap<>();
        int[] planned = new int[2]; // [back-edges, entries]
        for (MethodModel method : model.methods()) {
            if (method.code().isPresent()) {
                int[] here = new int[2];
                new Walk(method, entry).run(here);
                if (here[0] + here[1] != 0) {
                    plan.put(key(method), here);
                    planned[0] += here[0];
                    planned[1] += here[1];
                }
            }
        }
        if (plan.isEmpty()) {
            return null;
        }
        int[] done = new int[2];
        ClassTransform transform = (clb, element) -> {
            if (element instanceof MethodModel method && plan.containsKey(key(method))) {
                clb.transformMethod(method, MethodTransform.transformingCode(new Walk(method, entry).emitting(check, done)));
            } else {
                clb.with(element); // methods without insertions are copied byte for byte
            }
        };
        byte[] out = classFile.transformClass(model, transform);
        if (done[0] != planned[0] || done[1] != planned[1]) {
            throw new IllegalStateException("goloom-agent: planned " + planned[0] + "+" + planned[1]
                    + " checks but inserted " + done[0] + "+" + done[1]);
        }
        return new Result(out, done[0], done[1]);
    }

    private static String key(MethodModel method) {
        return method.methodName().stringValue() + method.methodType().stringValue();
    }

    /** Whether this instruction is a call to {@code YieldPoint.check()V} or {@code checkVirtual()V}. */
    static boolean isCheck(Instruction insn) {
        return insn instanceof InvokeInstruction invoke
                && invoke.opcode() == Opcode.INVOKESTATIC
                && invoke.owner().asInternalName().equals(YIELD_POINT_INTERNAL)
                && (invoke.name().equalsString(CHECK) || invoke.name().equalsString(CHECK_VIRTUAL))
                && invoke.type().equalsString("()V");
    }

    /**
     * One pass over a method's code, in code order. Dry ({@link #run}: counts what would be
     * inserted) or emitting (as a {@link CodeTransform}: inserts it); both go through
     * {@link #element}, so the plan and the result cannot disagree. One instance per method
     * and pass (it is stateful).
     */
    private static final class Walk implements CodeTransform {
        private final CodeModel code;
        /** Labels bound so far: a branch to one of them is a back-edge. */
        private final Set<Label> seen = new HashSet<>();
        /** The last instruction seen was a check, with no label since. */
        private boolean afterCheck;
        /** An entry check is still to be placed at offset 0. */
        private boolean entryPending;
        /** The line of the method's first instruction, or 0 without a LineNumberTable. */
        private final int firstLine;
        /** Counters to add to: [back-edges, entries]. */
        private int[] counts;
        /** The YieldPoint method to call. */
        private String check = CHECK;

        Walk(MethodModel method, boolean entry) {
            this.code = method.code().orElseThrow();
            // Bridges only forward to the method they bridge, which gets its own entry check.
            boolean bridge = (method.flags().flagsMask() & ClassFile.ACC_BRIDGE) != 0;
            this.entryPending = entry && !bridge && wantsEntryCheck(code);
            this.firstLine = entryPending ? firstLine(code) : 0;
        }

        /** Dry run: adds what this method would get to counts. */
        void run(int[] counts) {
            this.counts = counts;
            for (CodeElement e : code) {
                element(null, e);
            }
        }

        /** Turns this walk into the transform that inserts, adding what it inserts to counts. */
        Walk emitting(String check, int[] counts) {
            this.check = check;
            this.counts = counts;
            return this;
        }

        @Override
        public void accept(CodeBuilder cb, CodeElement e) {
            element(cb, e);
        }

        @Override
        public void atEnd(CodeBuilder cb) {
            // Re-emit the original frames; their labels now resolve to the shifted offsets.
            code.findAttribute(Attributes.stackMapTable())
                    .ifPresent(smt -> cb.with(StackMapTableAttribute.of(smt.entries())));
        }

        /** Handles one element; cb is null on a dry run. */
        private void element(CodeBuilder cb, CodeElement e) {
            // The entry check goes at offset 0, before the labels bound there (see the class
            // comment): ahead of the first label, line number or instruction. Exception table
            // entries and local variable ranges come first in the stream but bind nothing.
            if (entryPending && (e instanceof LabelTarget || e instanceof LineNumber || e instanceof Instruction)) {
                entryPending = false;
                if (cb != null && firstLine > 0) {
                    cb.lineNumber(firstLine); // so a frame inside check() shows the method's first line
                }
                insert(cb);
                counts[1]++;
            }
            if (e instanceof LabelTarget target) {
                seen.add(target.label());
                afterCheck = false;
            } else if (e instanceof Instruction insn) {
                if (isBackEdge(insn) && !afterCheck) {
                    insert(cb);
                    counts[0]++;
                }
                afterCheck = isCheck(insn);
            } else if (e instanceof UnknownAttribute) {
                return; // may hold bytecode offsets that are now stale; the JVM ignores it
            }
            if (cb != null) {
                cb.with(e);
            }
        }

        private void insert(CodeBuilder cb) {
            if (cb != null) {
                cb.invokestatic(YIELD_POINT, check, CHECK_TYPE);
            }
            afterCheck = true;
        }

        private boolean isBackEdge(Instruction insn) {
            return switch (insn) {
                case BranchInstruction b -> seen.contains(b.target());
                case TableSwitchInstruction s -> seen.contains(s.defaultTarget()) || anySeen(s.cases().iterator());
                case LookupSwitchInstruction s -> seen.contains(s.defaultTarget()) || anySeen(s.cases().iterator());
                default -> false;
            };
        }

        private boolean anySeen(Iterator<SwitchCase> cases) {
            while (cases.hasNext()) {
                if (seen.contains(cases.next().target())) {
                    return true;
                }
            }
            return false;
        }

        /** The line number bound before the first instruction, or 0 if none. */
        private static int firstLine(CodeModel code) {
            for (CodeElement e : code) {
                if (e instanceof LineNumber ln) {
                    return ln.line();
                }
                if (e instanceof Instruction) {
                    return 0;
                }
            }
            return 0;
        }

        /** Calls something (other than check()) and does not start with a check already. */
        private static boolean wantsEntryCheck(CodeModel code) {
            boolean first = true;
            boolean calls = false;
            for (CodeElement e : code) {
                if (e instanceof Instruction insn) {
                    boolean check = isCheck(insn);
                    if (first && check) {
                        return false; // already instrumented
                    }
                    first = false;
                    calls |= (insn instanceof InvokeInstruction && !check) || insn instanceof InvokeDynamicInstruction;
                }
            }
            return calls;
        }
    }
}
