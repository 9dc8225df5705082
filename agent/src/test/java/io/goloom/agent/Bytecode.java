package io.goloom.agent;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.util.ArrayList;
import java.util.List;

/**
 * Facts about class bytes, computed independently of the Instrumenter (by bytecode offset,
 * not by label order), for the tests to check its output against.
 */
final class Bytecode {
    private Bytecode() {
    }

    static ClassModel parse(byte[] bytes) {
        return ClassFile.of().parse(bytes);
    }

    static String key(MethodModel m) {
        return m.methodName().stringValue() + m.methodType().stringValue();
    }

    /** Branches (and switches with a target) at or before their own offset. */
    static int backEdges(MethodModel m) {
        if (m.code().isEmpty()) {
            return 0;
        }
        CodeAttribute code = (CodeAttribute) m.code().get();
        int n = 0;
        int bci = 0;
        for (CodeElement e : code) {
            if (e instanceof Instruction insn) {
                boolean back = switch (insn) {
                    case BranchInstruction b -> code.labelToBci(b.target()) <= bci;
                    case TableSwitchInstruction s -> anyBack(code, s.defaultTarget(), s.cases(), bci);
                    case LookupSwitchInstruction s -> anyBack(code, s.defaultTarget(), s.cases(), bci);
                    default -> false;
                };
                n += back ? 1 : 0;
                bci += insn.sizeInBytes();
            }
        }
        return n;
    }

    private static boolean anyBack(CodeAttribute code, Label dflt, List<SwitchCase> cases, int bci) {
        if (code.labelToBci(dflt) <= bci) {
            return true;
        }
        for (SwitchCase c : cases) {
            if (code.labelToBci(c.target()) <= bci) {
                return true;
            }
        }
        return false;
    }

    static int checks(MethodModel m) {
        int n = 0;
        if (m.code().isPresent()) {
            for (CodeElement e : m.code().get()) {
                if (e instanceof Instruction insn && Instrumenter.isCheck(insn)) {
                    n++;
                }
            }
        }
        return n;
    }

    static int checks(byte[] classBytes) {
        int n = 0;
        for (MethodModel m : parse(classBytes).methods()) {
            n += checks(m);
        }
        return n;
    }

    /**
     * The method's instructions as "line opcode", leaving out calls to check(): equal for the
     * original and the instrumented method iff the insertion added nothing else and every
     * original instruction kept its line.
     */
    static List<String> linesAndOpcodes(MethodModel m) {
        List<String> out = new ArrayList<>();
        if (m.code().isEmpty()) {
            return out;
        }
        int line = -1;
        for (CodeElement e : m.code().get()) {
            if (e instanceof LineNumber ln) {
                line = ln.line();
            } else if (e instanceof Instruction insn && !Instrumenter.isCheck(insn)) {
                out.add(line + " " + insn.opcode());
            }
        }
        return out;
    }

    /** The line of the method's first back-edge branch (the line a frame inside check() shows). */
    static int firstBackEdgeLine(MethodModel m) {
        CodeAttribute code = (CodeAttribute) m.code().orElseThrow();
        int bci = 0;
        int line = -1;
        for (CodeElement e : code) {
            if (e instanceof LineNumber ln) {
                line = ln.line();
            } else if (e instanceof Instruction insn) {
                if (insn instanceof BranchInstruction b && code.labelToBci(b.target()) <= bci) {
                    return line;
                }
                bci += insn.sizeInBytes();
            }
        }
        throw new AssertionError("no back-edge in " + key(m));
    }

    static MethodModel method(byte[] classBytes, String name) {
        return parse(classBytes).methods().stream().filter(m -> m.methodName().equalsString(name))
                .findFirst().orElseThrow(() -> new AssertionError("no method " + name));
    }
}
