package io.goloom.netpoll;

import java.io.IOException;
import java.lang.classfile.Annotation;
import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.RuntimeVisibleAnnotationsAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractInterruptibleChannel;

/**
 * The NIO calls of the Selector backend, each behind a frame the JIT never inlines.
 *
 * <h2>Why</h2>
 * {@code SocketChannelImpl} takes {@code ReentrantLock}s in read, write, accept, connect and
 * close, and a ReentrantLock records its owner with {@code Thread.currentThread()}, which HotSpot
 * compiles as a load it may reuse within one compiled frame (see {@code io.goloom.core.Carrier}).
 * Goroutine code runs these calls from frames that also span yields (a read loop that waits for
 * readiness between reads): inlined into such a frame, {@code lock()} can record the carrier the
 * goroutine ran on before its last migration while {@code unlock()} reads the current one, and
 * the unlock throws {@code IllegalMonitorStateException} (seen: {@code SelectorNetTest}, the
 * echo server's read, under load). Each call here is a static method of a small class that
 * goloom defines in {@code java.lang} with the boot loader and marks {@code @DontInline}
 * (honoured for boot classes): the lock and unlock then run in that method's own compiled
 * frame, which never spans a yield, so both read the carrier the goroutine is on. Cost: one
 * direct call per NIO call.
 */
final class NioCalls {
    private NioCalls() {
    }

    /** Binary name of the boot class; versioned so an incompatible older definition is never reused. */
    private static final String BOOT_CLASS = "java.lang.GoloomNio$1";

    private static final ClassDesc CD_SC = ClassDesc.of("java.nio.channels.SocketChannel");
    private static final ClassDesc CD_SSC = ClassDesc.of("java.nio.channels.ServerSocketChannel");
    private static final ClassDesc CD_AIC = ClassDesc.of("java.nio.channels.spi.AbstractInterruptibleChannel");
    private static final ClassDesc CD_BB = ClassDesc.of("java.nio.ByteBuffer");
    private static final ClassDesc CD_ADDR = ClassDesc.of("java.net.SocketAddress");

    private static final Class<?> BOOT = io.goloom.core.BootClasses.define(BOOT_CLASS, NioCalls::bootClassBytes);
    private static final MethodHandle READ = find("read", int.class, SocketChannel.class, ByteBuffer.class);
    private static final MethodHandle WRITE = find("write", int.class, SocketChannel.class, ByteBuffer.class);
    private static final MethodHandle ACCEPT = find("accept", SocketChannel.class, ServerSocketChannel.class);
    private static final MethodHandle CONNECT = find("connect", boolean.class, SocketChannel.class, SocketAddress.class);
    private static final MethodHandle FINISH_CONNECT = find("finishConnect", boolean.class, SocketChannel.class);
    private static final MethodHandle SHUTDOWN_OUTPUT = find("shutdownOutput", void.class, SocketChannel.class);
    private static final MethodHandle CLOSE = find("close", void.class, AbstractInterruptibleChannel.class);

    static int read(SocketChannel ch, ByteBuffer dst) throws IOException {
        try {
            return (int) READ.invokeExact(ch, dst);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int write(SocketChannel ch, ByteBuffer src) throws IOException {
        try {
            return (int) WRITE.invokeExact(ch, src);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static SocketChannel accept(ServerSocketChannel ch) throws IOException {
        try {
            return (SocketChannel) ACCEPT.invokeExact(ch);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static boolean connect(SocketChannel ch, SocketAddress remote) throws IOException {
        try {
            return (boolean) CONNECT.invokeExact(ch, remote);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static boolean finishConnect(SocketChannel ch) throws IOException {
        try {
            return (boolean) FINISH_CONNECT.invokeExact(ch);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void shutdownOutput(SocketChannel ch) throws IOException {
        try {
            SHUTDOWN_OUTPUT.invokeExact(ch);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void close(AbstractInterruptibleChannel ch) throws IOException {
        try {
            CLOSE.invokeExact(ch);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MethodHandle find(String name, Class<?> ret, Class<?>... params) {
        try {
            return MethodHandles.publicLookup().findStatic(BOOT, name, MethodType.methodType(ret, params));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The boot class: one @DontInline static method per NIO call. */
    private static byte[] bootClassBytes() {
        int flags = ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC;
        RuntimeVisibleAnnotationsAttribute dontInline = RuntimeVisibleAnnotationsAttribute.of(
                Annotation.of(ClassDesc.of("jdk.internal.vm.annotation.DontInline")));
        return ClassFile.of().build(ClassDesc.of(BOOT_CLASS), cb -> cb
                .withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC)
                .withSuperclass(ConstantDescs.CD_Object)
                .withMethod("read", MethodTypeDesc.of(ConstantDescs.CD_int, CD_SC, CD_BB), flags, mb -> mb
                        .with(dontInline)
                        .withCode(c -> c.aload(0).aload(1)
                                .invokevirtual(CD_SC, "read", MethodTypeDesc.of(ConstantDescs.CD_int, CD_BB)).ireturn()))
                .withMethod("write", MethodTypeDesc.of(ConstantDescs.CD_int, CD_SC, CD_BB), flags, mb -> mb
                        .with(dontInline)
                        .withCode(c -> c.aload(0).aload(1)
                                .invokevirtual(CD_SC, "write", MethodTypeDesc.of(ConstantDescs.CD_int, CD_BB)).ireturn()))
                .withMethod("accept", MethodTypeDesc.of(CD_SC, CD_SSC), flags, mb -> mb
                        .with(dontInline)
                        .withCode(c -> c.aload(0)
                                .invokevirtual(CD_SSC, "accept", MethodTypeDesc.of(CD_SC)).areturn()))
                .withMethod("connect", MethodTypeDesc.of(ConstantDescs.CD_boolean, CD_SC, CD_ADDR), flags, mb -> mb
                        .with(dontInline)
                        .withCode(c -> c.aload(0).aload(1)
                                .invokevirtual(CD_SC, "connect", MethodTypeDesc.of(ConstantDescs.CD_boolean, CD_ADDR)).ireturn()))
                .withMethod("finishConnect", MethodTypeDesc.of(ConstantDescs.CD_boolean, CD_SC), flags, mb -> mb
                        .with(dontInline)
                        .withCode(c -> c.aload(0)
                                .invokevirtual(CD_SC, "finishConnect", MethodTypeDesc.of(ConstantDescs.CD_boolean)).ireturn()))
                .withMethod("shutdownOutput", MethodTypeDesc.of(ConstantDescs.CD_void, CD_SC), flags, mb -> mb
                        .with(dontInline)
                        .withCode(c -> c.aload(0)
                                .invokevirtual(CD_SC, "shutdownOutput", MethodTypeDesc.of(CD_SC)).pop().return_()))
                .withMethod("close", MethodTypeDesc.of(ConstantDescs.CD_void, CD_AIC), flags, mb -> mb
                        .with(dontInline)
                        .withCode(c -> c.aload(0)
                                .invokevirtual(CD_AIC, "close", MethodTypeDesc.of(ConstantDescs.CD_void)).return_())));
    }
}
