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
 * <h2>Two ways in</h2>
 * {@link #install} rewrites the loaded classes at premain time ({@code -javaagent}, what a user
 * who launches the JVM their own way passes). {@link #javaBasePatch} writes the same rewritten
 * classes for {@code --patch-module java.base=DIR} ({@link PatchedJavaBase}, what
 * {@code ./goloom run} and compare pass): no java agent, so the JVM posts no JVMTI event at
 * virtual-thread mounts and unmounts, which any java agent switches on for the life of the JVM.
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
    static final String HOOKS_CLASS = "java.lang.GoloomVirtualThreadHooks$2";

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

    /**
     * The class files of a patched java.base ({@link PatchedJavaBase}): this JDK's
     * {@code VirtualThread} and {@code ForkJoinWorkerThread} rewritten as {@link #install}
     * rewrites them, and the hooks class, keyed by their resource names
     * ({@code java/lang/VirtualThread.class}).
     *
     * @throws IllegalStateException naming why not (another JDK version, code not shaped as expected)
     */
    static Map<String, byte[]> javaBasePatch() {
        int feature = Runtime.version().feature();
        if (feature != JDK_FEATURE) {
            throw new IllegalStateException("transparent mode knows the virtual threads of JDK " + JDK_FEATURE
                    + " only, and this is JDK " + Runtime.version());
        }
        byte[] vt = rewriteVirtualThread(jdkClass(VIRTUAL_THREAD));
        if (vt == null) {
            throw new IllegalStateException("java.lang.VirtualThread of JDK " + Runtime.version() + " is not shaped as in JDK " + JDK_FEATURE);
        }
        byte[] worker = rewriteWorker(jdkClass(WORKER_THREAD));
        if (worker == null) {
            throw new IllegalStateException("ForkJoinWorkerThread of JDK " + Runtime.version() + " has no hasKnownQueuedWork()");
        }
        return Map.of(VIRTUAL_THREAD + ".class", vt, WORKER_THREAD + ".class", worker,
                HOOKS_CLASS.replace('.', '/') + ".class", hooksBytes());
    }

    /** The class file of the running JDK's {@code internalName} (java.base), from its runtime image. */
    private static byte[] jdkClass(String internalName) {
        try (var in = Object.class.getResourceAsStream("/" + internalName + ".class")) {
            if (in == null) {
                throw new IllegalStateException("this JDK's runtime image has no " + internalName);
            }
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading " + internalName + " from this JDK's runtime image", e);
        }
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

    /** Transparent mode came up through a patched java.base ({@link PatchedJavaBase#boot}). */
    static synchronized void markInstalled() {
        installed = true;
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
     * public final class java.lang.GoloomVirtualThreadHooks$2 {
     *     public static volatile ForkJoinPool SCHEDULER;        // set by the agent, or by boot()
     *     public static volatile BooleanSupplier QUEUED_WORK;
     *     public static ForkJoinPool scheduler() {              // null: keep the JDK's scheduler
     *         ForkJoinPool p = SCHEDULER;
     *         return p != null ? p : boot();
     *     }
     *     public static boolean queuedWork() {                  // false until goloom is up
     *         BooleanSupplier q = QUEUED_WORK;
     *         return q != null &amp;&amp; q.getAsBoolean();
     *     }
     *     private static ForkJoinPool boot() {                  // patched java.base: see PatchedJavaBase
     *         String jar = System.getProperty("goloom.transparent.jar");
     *         if (jar == null) return null;
     *         if (!"&lt;the JDK that wrote it&gt;".equals(System.getProperty("java.runtime.version"))) {
     *             return refuse("the patched java.base was written for JDK ...");
     *         }
     *         try {
     *             ClassLoader app = ClassLoader.getSystemClassLoader();
     *             Method m = app.getClass().getDeclaredMethod("appendToClassPathForInstrumentation", String.class);
     *             m.setAccessible(true);                        // same module: java.base
     *             m.invoke(app, jar);                           // what -javaagent does with its jar
     *             Class.forName("io.goloom.scheduler.PatchedJavaBase", true, app).getMethod("boot").invoke(null);
     *         } catch (Throwable t) {
     *             return refuse("starting goloom from " + jar + " failed: " + t);
     *         }
     *         return SCHEDULER;
     *     }
     *     private static ForkJoinPool refuse(String why) {      // the JDK's own pool, said once
     *         System.setProperty("goloom.virtualThreadScheduler", "stock");
     *         System.err.println("goloom: virtual threads stay on the JDK's ForkJoinPool: " + why);
     *         return null;
     *     }
     * }
     * </pre>
     * The agent sets both fields before it rewrites anything; under a patched java.base
     * ({@link PatchedJavaBase}) nothing sets them before {@code VirtualThread}'s static
     * initialiser asks for the scheduler, and {@code boot()} loads goloom then, from the jar the
     * launcher named. Both are written once. SCHEDULER is read by the thread that runs that
     * initialiser (the JVM's class-initialisation lock orders every later use of the class after
     * it); QUEUED_WORK is read by any thread in {@code hasKnownQueuedWork()}, volatile so that a
     * reader sees the supplier whole: one that reads the null from before boot answers false, as
     * the JDK would.
     */
    private static Class<?> defineHooks() {
        return io.goloom.core.BootClasses.define(HOOKS_CLASS, JdkBridge::hooksBytes);
    }

    static byte[] hooksBytes() {
        int field = ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC | ClassFile.ACC_VOLATILE;
        int method = ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC;
        ClassDesc cdString = ConstantDescs.CD_String;
        ClassDesc cdClass = ConstantDescs.CD_Class;
        ClassDesc cdObject = ConstantDescs.CD_Object;
        ClassDesc cdLoader = ClassDesc.of("java.lang.ClassLoader");
        ClassDesc cdMethod = ClassDesc.of("java.lang.reflect.Method");
        ClassDesc cdSystem = ClassDesc.of("java.lang.System");
        ClassDesc cdStream = ClassDesc.of("java.io.PrintStream");
        MethodTypeDesc invoke = MethodTypeDesc.of(cdObject, cdObject, cdObject.arrayType());
        MethodTypeDesc refuse = MethodTypeDesc.of(CD_FJP, cdString);
        return ClassFile.of().build(HOOKS, cb -> cb
                .withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC)
                .withSuperclass(ConstantDescs.CD_Object)
                .withField("SCHEDULER", CD_FJP, field)
                .withField("QUEUED_WORK", CD_BOOLEAN_SUPPLIER, field)
                .withMethodBody("scheduler", MethodTypeDesc.of(CD_FJP), method, code -> {
                    Label none = code.newLabel();
                    code.getstatic(HOOKS, "SCHEDULER", CD_FJP)
                            .dup()
                            .ifnull(none)
                            .areturn()
                            .labelBinding(none)
                            .pop()
                            .invokestatic(HOOKS, "boot", MethodTypeDesc.of(CD_FJP))
                            .areturn();
                })
                .withMethodBody("queuedWork", MethodTypeDesc.of(ConstantDescs.CD_boolean), method, code -> {
                    Label none = code.newLabel();
                    code.getstatic(HOOKS, "QUEUED_WORK", CD_BOOLEAN_SUPPLIER)
                            .dup()
                            .ifnull(none)
                            .invokeinterface(CD_BOOLEAN_SUPPLIER, "getAsBoolean", MethodTypeDesc.of(ConstantDescs.CD_boolean))
                            .ireturn()
                            .labelBinding(none)
                            .pop()
                            .iconst_0()
                            .ireturn();
                })
                .withMethodBody("boot", MethodTypeDesc.of(CD_FJP), ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC, code -> {
                    Label go = code.newLabel();
                    code.ldc(PatchedJavaBase.JAR_PROPERTY)
                            .invokestatic(cdSystem, "getProperty", MethodTypeDesc.of(cdString, cdString))
                            .astore(0)
                            .aload(0)
                            .ifnonnull(go)
                            .aconst_null()
                            .areturn()
                            .labelBinding(go);
                    // the classes beside this one are this JDK build's, rewritten: refuse another build's
                    Label sameJdk = code.newLabel();
                    String built = System.getProperty("java.runtime.version");
                    code.ldc(built)
                            .ldc("java.runtime.version")
                            .invokestatic(cdSystem, "getProperty", MethodTypeDesc.of(cdString, cdString))
                            .invokevirtual(cdString, "equals", MethodTypeDesc.of(ConstantDescs.CD_boolean, cdObject))
                            .ifne(sameJdk)
                            .ldc("the patched java.base was written for JDK " + built + ", and this is JDK ")
                            .ldc("java.runtime.version")
                            .invokestatic(cdSystem, "getProperty", MethodTypeDesc.of(cdString, cdString))
                            .invokevirtual(cdString, "concat", MethodTypeDesc.of(cdString, cdString))
                            .ldc(": write it again with this java (java -jar goloom.jar --print-jvm-options)")
                            .invokevirtual(cdString, "concat", MethodTypeDesc.of(cdString, cdString))
                            .invokestatic(HOOKS, "refuse", refuse)
                            .areturn()
                            .labelBinding(sameJdk);
                    code.trying(t -> t
                            .invokestatic(cdLoader, "getSystemClassLoader", MethodTypeDesc.of(cdLoader))
                            .astore(1)
                            .aload(1)
                            .invokevirtual(cdObject, "getClass", MethodTypeDesc.of(cdClass))
                            .ldc("appendToClassPathForInstrumentation")
                            .iconst_1()
                            .anewarray(cdClass)
                            .dup()
                            .iconst_0()
                            .ldc(cdString)
                            .aastore()
                            .invokevirtual(cdClass, "getDeclaredMethod", MethodTypeDesc.of(cdMethod, cdString, cdClass.arrayType()))
                            .astore(2)
                            .aload(2)
                            .iconst_1()
                            .invokevirtual(cdMethod, "setAccessible", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_boolean))
                            .aload(2)
                            .aload(1)
                            .iconst_1()
                            .anewarray(cdObject)
                            .dup()
                            .iconst_0()
                            .aload(0)
                            .aastore()
                            .invokevirtual(cdMethod, "invoke", invoke)
                            .pop()
                            .ldc(PatchedJavaBase.class.getName())
                            .iconst_1()
                            .aload(1)
                            .invokestatic(cdClass, "forName", MethodTypeDesc.of(cdClass, cdString, ConstantDescs.CD_boolean, cdLoader))
                            .ldc("boot")
                            .iconst_0()
                            .anewarray(cdClass)
                            .invokevirtual(cdClass, "getMethod", MethodTypeDesc.of(cdMethod, cdString, cdClass.arrayType()))
                            .aconst_null()
                            .iconst_0()
                            .anewarray(cdObject)
                            .invokevirtual(cdMethod, "invoke", invoke)
                            .pop(),
                        c -> c.catchingAll(h -> h
                            .astore(1)
                            .ldc("starting goloom from ")
                            .aload(0)
                            .invokevirtual(cdString, "concat", MethodTypeDesc.of(cdString, cdString))
                            .ldc(" failed: ")
                            .invokevirtual(cdString, "concat", MethodTypeDesc.of(cdString, cdString))
                            .aload(1)
                            .invokestatic(cdString, "valueOf", MethodTypeDesc.of(cdString, cdObject))
                            .invokevirtual(cdString, "concat", MethodTypeDesc.of(cdString, cdString))
                            .invokestatic(HOOKS, "refuse", refuse)
                            .areturn()));
                    code.getstatic(HOOKS, "SCHEDULER", CD_FJP)
                            .areturn();
                })
                .withMethodBody("refuse", refuse, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC, code -> code
                        .ldc(SchedulerAgent.PROPERTY)
                        .ldc("stock")
                        .invokestatic(cdSystem, "setProperty", MethodTypeDesc.of(cdString, cdString, cdString))
                        .pop()
                        .getstatic(cdSystem, "err", cdStream)
                        .ldc("goloom: virtual threads stay on the JDK's ForkJoinPool: ")
                        .aload(0)
                        .invokevirtual(cdString, "concat", MethodTypeDesc.of(cdString, cdString))
                        .invokevirtual(cdStream, "println", MethodTypeDesc.of(ConstantDescs.CD_void, cdString))
                        .aconst_null()
                        .areturn()));
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
     * createDefaultScheduler(): {@code p = hooks.scheduler(); if (p != null) return p;} then the
     * JDK's body (the stock pool, when goloom could not start). Checks first that the JDK's
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
                CodeModel jdk = m.code().orElseThrow();
                cb.withMethodBody(m.methodName(), m.methodType(), m.flags().flagsMask(), code -> {
                    Label stock = code.newLabel();
                    code.invokestatic(HOOKS, "scheduler", MethodTypeDesc.of(CD_FJP))
                            .dup()
                            .ifnull(stock)
                            .areturn()
                            .labelBinding(stock)
                            .pop();
                    jdk.forEach(code::with); // goloom could not start: the JDK's own pool
                });
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
