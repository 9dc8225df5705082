package io.goloom.scheduler;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.AccessFlag;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The one JDK-version-specific class of transparent mode: it makes every virtual thread of the
 * JVM use a scheduler of goloom's, by rewriting two method bodies of {@code java.base} at
 * premain time. Nothing else in goloom knows how the JDK's virtual threads are built; when the
 * JDK grows its custom-scheduler API (the Loom project's {@code Thread.VirtualThreadScheduler},
 * {@code -Djdk.virtualThreadScheduler.implClass}), this class is what it replaces.
 *
 * <h2>What is rewritten (JDK 25)</h2>
 * <ol>
 *   <li>{@code VirtualThread.createDefaultScheduler()} returns goloom's {@link CarrierPool}
 *       (a {@code ForkJoinPool}, the type of {@code DEFAULT_SCHEDULER}). A virtual thread
 *       created without an explicit scheduler by a platform thread gets the default scheduler;
 *       one created by a virtual thread inherits its creator's: so every virtual thread of the
 *       process. {@code VirtualThread} is loaded from the CDS archive at startup but initialised
 *       lazily (after premain), so the rewritten method is the one its static initialiser
 *       calls; if it was initialised already, install refuses.</li>
 *   <li>{@code ForkJoinWorkerThread.hasKnownQueuedWork()} (asked by {@code LinkedTransferQueue}
 *       and {@code SynchronousQueue} before spinning) also answers true on a goloom carrier
 *       whose P has runnable work, so a virtual thread does not spin away its partner's turn.</li>
 * </ol>
 * Timed parks need no rewrite: {@code VirtualThread.schedule} already calls
 * {@code pool.schedule(...)} when the scheduler is a {@code ForkJoinPool}, and CarrierPool arms
 * goloom's per-P timer wheels there.
 *
 * <h2>The hooks class</h2>
 * The rewritten JDK methods call static methods of a small class that goloom defines in
 * {@code java.lang} with the boot loader ({@link #HOOKS_CLASS}, generated here), whose static
 * fields hold goloom's objects under JDK types (ForkJoinPool, BooleanSupplier).
 * The fields are set before any class is rewritten, and never change; a second install in the
 * same JVM is refused.
 *
 * <h2>Failure</h2>
 * {@link #install} returns null on success, else one sentence saying why nothing was changed
 * (another JDK version, the class already initialised, the JDK's code not shaped as expected).
 * Every check runs before the first rewrite, and the rewrites are ordered so that a failure of
 * the last one leaves only a hook that answers as the JDK did (hasKnownQueuedWork, whose goloom
 * answer is false off goloom's carriers).
 */
final class JdkBridge {
    private JdkBridge() {
    }

    /** The JDK feature release whose code this class knows. */
    static final int JDK_FEATURE = 25;

    /** Binary name of the boot class; versioned so an incompatible older definition is never reused. */
    static final String HOOKS_CLASS = "java.lang.GoloomVirtualThreadHooks$1";

    private static final ClassDesc HOOKS = ClassDesc.of(HOOKS_CLASS);
    private static final ClassDesc CD_FJP = ClassDesc.of("java.util.concurrent.ForkJoinPool");
    private static final ClassDesc CD_BOOLEAN_SUPPLIER = ClassDesc.of("java.util.function.BooleanSupplier");

    private static final String VIRTUAL_THREAD = "java/lang/VirtualThread";
    private static final String WORKER_THREAD = "java/util/concurrent/ForkJoinWorkerThread";

    private static volatile boolean installed;

    /**
     * Makes {@code scheduler} the default scheduler of every virtual thread created from now on.
     *
     * @param pools makes the pool, once every check has passed (so a refusal starts no runtime)
     * @return null when installed; else why not (nothing was changed that matters)
     */
    static synchronized String install(Instrumentation inst, java.util.function.Supplier<CarrierPool> pools) {
        if (installed) {
            return "goloom's scheduler is already installed in this JVM";
        }
        int feature = Runtime.version().feature();
        if (feature != JDK_FEATURE) {
            return "transparent mode knows the virtual threads of JDK " + JDK_FEATURE + " only, and this is JDK " + Runtime.version();
        }
        Class<?> vt;
        Class<?> worker;
        try {
            vt = Class.forName("java.lang.VirtualThread", false, null);
            worker = Class.forName("java.util.concurrent.ForkJoinWorkerThread", false, null);
        } catch (ClassNotFoundException e) {
            return "this JDK has no " + e.getMessage();
        }
        if (!inst.isRetransformClassesSupported() || !inst.isModifiableClass(vt) || !inst.isModifiableClass(worker)) {
            return "this JVM cannot retransform java.lang.VirtualThread (the agent jar's manifest needs Can-Retransform-Classes: true)";
        }
        openJavaBase(inst);
        if (!notYetInitialized(vt)) {
            return "virtual threads were already in use before the agent ran (java.lang.VirtualThread is initialised),"
                    + " so their scheduler can no longer change: load goloom with -javaagent, not by late attach";
        }
        Class<?> hooks;
        try {
            hooks = defineHooks();
            CarrierPool pool = pools.get();
            BooleanSupplier queuedWork = CarrierPool::carrierHasQueuedWork;
            hooks.getField("SCHEDULER").set(null, pool);
            hooks.getField("QUEUED_WORK").set(null, queuedWork);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return "defining " + HOOKS_CLASS + " failed: " + e;
        }
        Rewriter rewriter = new Rewriter();
        inst.addTransformer(rewriter, true); // stays: a later retransform by another agent must keep our bodies
        try {
            inst.retransformClasses(worker);
            if (rewriter.failure != null || !rewriter.workerDone) {
                inst.removeTransformer(rewriter);
                inst.retransformClasses(worker);
                return "rewriting ForkJoinWorkerThread failed: " + (rewriter.failure != null ? rewriter.failure : "hasKnownQueuedWork() not found");
            }
            inst.retransformClasses(vt);
        } catch (Throwable t) {
            rewriter.failure = String.valueOf(t);
        }
        if (rewriter.failure != null || !rewriter.virtualThreadDone) {
            inst.removeTransformer(rewriter);
            try {
                inst.retransformClasses(worker, vt);
            } catch (Throwable ignored) {
                // the bodies left are the JDK's or ours, both safe (see the class comment)
            }
            return "rewriting java.lang.VirtualThread failed: " + (rewriter.failure != null ? rewriter.failure : "its code is not shaped as in JDK 25");
        }
        installed = true;
        return null;
    }

    /** Has {@code c}'s static initialiser not run yet? (jdk.internal.misc.Unsafe, opened above.) */
    private static boolean notYetInitialized(Class<?> c) {
        try {
            Class<?> unsafe = Class.forName("jdk.internal.misc.Unsafe");
            Object u = unsafe.getMethod("getUnsafe").invoke(null);
            return (Boolean) unsafe.getMethod("shouldBeInitialized", Class.class).invoke(u, c);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("goloom: cannot tell whether " + c.getName() + " is initialised", e);
        }
    }

    /** Is transparent mode installed in this JVM? */
    static boolean installed() {
        return installed;
    }

    /**
     * Opens what goloom reads in java.base to goloom's module, whatever the command line said
     * (an agent jar's manifest Add-Exports/Add-Opens do the same; this also covers goloom
     * classes loaded from another jar than the agent's).
     */
    static void openJavaBase(Instrumentation inst) {
        Module base = Object.class.getModule();
        Module me = JdkBridge.class.getModule();
        Set<Module> us = Set.of(me);
        inst.redefineModule(base, Set.of(),
                Map.of("jdk.internal.vm", us, "jdk.internal.access", us, "jdk.internal.misc", us),
                Map.of("java.lang", us),
                Set.of(), Map.of());
    }

    /**
     * <pre>
     * public final class java.lang.GoloomVirtualThreadHooks$1 {
     *     public static ForkJoinPool SCHEDULER;
     *     public static BooleanSupplier QUEUED_WORK;
     *     public static ForkJoinPool scheduler()   { return SCHEDULER; }
     *     public static boolean queuedWork()       { return QUEUED_WORK.getAsBoolean(); }
     * }
     * </pre>
     */
    private static Class<?> defineHooks() {
        return io.goloom.core.BootClasses.define(HOOKS_CLASS, JdkBridge::hooksBytes);
    }

    private static byte[] hooksBytes() {
        int field = ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC;
        return ClassFile.of().build(HOOKS, cb -> cb
                .withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC)
                .withSuperclass(ConstantDescs.CD_Object)
                .withField("SCHEDULER", CD_FJP, field)
                .withField("QUEUED_WORK", CD_BOOLEAN_SUPPLIER, field)
                .withMethodBody("scheduler", MethodTypeDesc.of(CD_FJP), field, code -> code
                        .getstatic(HOOKS, "SCHEDULER", CD_FJP)
                        .areturn())
                .withMethodBody("queuedWork", MethodTypeDesc.of(ConstantDescs.CD_boolean), field, code -> code
                        .getstatic(HOOKS, "QUEUED_WORK", CD_BOOLEAN_SUPPLIER)
                        .invokeinterface(CD_BOOLEAN_SUPPLIER, "getAsBoolean", MethodTypeDesc.of(ConstantDescs.CD_boolean))
                        .ireturn()));
    }

    /** Rewrites the two JDK classes; records what it did, since the JVM swallows a transformer's exceptions. */
    private static final class Rewriter implements ClassFileTransformer {
        volatile boolean workerDone;
        volatile boolean virtualThreadDone;
        volatile String failure;

        @Override
        public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                                ProtectionDomain pd, byte[] bytes) {
            if (loader != null || className == null) {
                return null;
            }
            try {
                if (className.equals(WORKER_THREAD)) {
                    byte[] out = rewriteWorker(bytes);
                    workerDone = out != null;
                    return out;
                }
                if (className.equals(VIRTUAL_THREAD)) {
                    byte[] out = rewriteVirtualThread(bytes);
                    virtualThreadDone = out != null;
                    return out;
                }
            } catch (Throwable t) {
                failure = String.valueOf(t);
            }
            return null;
        }
    }

    /** hasKnownQueuedWork(): {@code if (hooks.queuedWork()) return true;} then the JDK's body. */
    static byte[] rewriteWorker(byte[] bytes) {
        ClassFile cf = ClassFile.of();
        ClassModel cm = cf.parse(bytes);
        if (find(cm, "hasKnownQueuedWork", "()Z") == null) {
            return null;
        }
        ClassTransform rewrite = (cb, ce) -> {
            if (ce instanceof MethodModel m && is(m, "hasKnownQueuedWork", "()Z")) {
                CodeModel jdk = m.code().orElseThrow();
                cb.withMethodBody(m.methodName(), m.methodType(), m.flags().flagsMask(), code -> {
                    Label rest = code.newLabel();
                    code.invokestatic(HOOKS, "queuedWork", MethodTypeDesc.of(ConstantDescs.CD_boolean))
                            .ifeq(rest)
                            .iconst_1()
                            .ireturn()
                            .labelBinding(rest);
                    jdk.forEach(code::with);
                });
            } else {
                cb.with(ce);
            }
        };
        return cf.transformClass(cm, rewrite);
    }

    /**
     * createDefaultScheduler(): {@code return hooks.scheduler();}. Checks first that the JDK's
     * code has the shape this relies on: a static createDefaultScheduler returning ForkJoinPool
     * (the type of DEFAULT_SCHEDULER), and schedule() testing {@code instanceof ForkJoinPool}
     * (timed parks then reach CarrierPool.schedule).
     */
    static byte[] rewriteVirtualThread(byte[] bytes) {
        ClassFile cf = ClassFile.of();
        ClassModel cm = cf.parse(bytes);
        MethodModel create = find(cm, "createDefaultScheduler", "()Ljava/util/concurrent/ForkJoinPool;");
        MethodModel schedule = find(cm, "schedule", "(Ljava/lang/Runnable;JLjava/util/concurrent/TimeUnit;)Ljava/util/concurrent/Future;");
        if (create == null || schedule == null || !create.flags().has(AccessFlag.STATIC)
                || count(schedule, e -> e instanceof TypeCheckInstruction t && t.opcode() == Opcode.INSTANCEOF
                        && t.type().asInternalName().equals("java/util/concurrent/ForkJoinPool")) != 1) {
            return null;
        }
        ClassTransform rewrite = (cb, ce) -> {
            if (ce instanceof MethodModel m && is(m, "createDefaultScheduler", "()Ljava/util/concurrent/ForkJoinPool;")) {
                // the JDK's body is replaced (its debug attributes go with it)
                cb.withMethodBody(m.methodName(), m.methodType(), m.flags().flagsMask(), code -> code
                        .invokestatic(HOOKS, "scheduler", MethodTypeDesc.of(CD_FJP))
                        .areturn());
            } else {
                cb.with(ce);
            }
        };
        return cf.transformClass(cm, rewrite);
    }

    private static MethodModel find(ClassModel cm, String name, String desc) {
        MethodModel found = null;
        for (MethodModel m : cm.methods()) {
            if (is(m, name, desc)) {
                if (found != null) {
                    return null;
                }
                found = m;
            }
        }
        return found;
    }

    private static boolean is(MethodModel m, String name, String desc) {
        return m.methodName().equalsString(name) && m.methodType().equalsString(desc);
    }

    private static int count(MethodModel m, java.util.function.Predicate<CodeElement> p) {
        return m.code().map(code -> (int) code.elementStream().filter(p).count()).orElse(0);
    }
}
