package io.goloom.core;

import java.lang.classfile.Annotation;
import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.RuntimeVisibleAnnotationsAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The current carrier thread, read so that the JIT can never reuse a stale value across a
 * goroutine's yield.
 *
 * <h2>Why not just {@code Thread.currentThread()}</h2>
 * A goroutine's continuation can yield on one carrier and resume on another. HotSpot compiles
 * {@code Thread.currentThread()} and {@code currentCarrierThread()} as a load from
 * <em>immutable</em> memory (a compiled frame is assumed never to change threads, which is
 * true for virtual threads, whose identity does not change when they migrate). In a compiled
 * goroutine frame that spans a yield (say a loop calling {@code Go.park()}), C2 hoists or
 * reuses that load, and after the goroutine migrates it names the carrier it ran on before.
 * goloom found this the hard way: the ping-pong test parked the wrong goroutine and pushed Gs
 * into another M's run queue from the wrong thread. (The JDK exempts only methods annotated
 * {@code @ChangesCurrentThread}, an annotation honoured for boot-loader classes.)
 *
 * <h2>The fix</h2>
 * A tiny class defined by the boot loader in {@code java.lang} (so its VM annotations count)
 * whose one method reads {@code Thread.currentCarrierThread()} and is {@code @DontInline}:
 * every lookup is a real call that reads the thread register afresh, and no caller can hoist
 * it. Cost: one direct call (a few ns). Defining it needs
 * {@code --add-exports java.base/jdk.internal.access=ALL-UNNAMED}, which goloom's launcher,
 * jars and build already pass.
 */
public final class Carrier {
    private Carrier() {
    }

    private static final MethodHandle CURRENT = define();

    /** The platform thread the caller runs on (the carrier, even inside a virtual thread). */
    public static Thread current() {
        try {
            return (Thread) CURRENT.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Binary name of the boot class; versioned so an incompatible older definition is never reused. */
    private static final String BOOT_CLASS = "java.lang.GoloomCarrier$1";

    private static MethodHandle define() {
        Class<?> c = BootClasses.define(BOOT_CLASS, Carrier::bootClassBytes);
        try {
            return MethodHandles.publicLookup().findStatic(c, "current", MethodType.methodType(Thread.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The boot class: one @DontInline method reading the carrier thread afresh. */
    private static byte[] bootClassBytes() {
        ClassDesc threadDesc = ClassDesc.of("java.lang.Thread");
        return ClassFile.of().build(ClassDesc.of(BOOT_CLASS), cb -> cb
                .withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC)
                .withSuperclass(ConstantDescs.CD_Object)
                .withMethod("current", MethodTypeDesc.of(threadDesc), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, mb -> mb
                        .with(RuntimeVisibleAnnotationsAttribute.of(
                                Annotation.of(ClassDesc.of("jdk.internal.vm.annotation.DontInline"))))
                        .withCode(code -> code
                                .invokestatic(threadDesc, "currentCarrierThread", MethodTypeDesc.of(threadDesc))
                                .areturn())));
    }
}
