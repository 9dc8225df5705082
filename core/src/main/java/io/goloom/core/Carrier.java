package io.goloom.core;

import jdk.internal.access.JavaLangAccess;
import jdk.internal.access.SharedSecrets;

/**
 * The current carrier thread, read so that the JIT can never reuse a stale value across a
 * goroutine's yield, and cheaply enough to sit on every hot path ({@link G#current()},
 * {@link GoLocal#get()}).
 *
 * <h2>Why not {@code Thread.currentThread()}</h2>
 * A goroutine's continuation can yield on one carrier and resume on another. HotSpot's C2
 * compiles {@code Thread.currentThread()} as a load from <em>immutable</em> memory (a compiled
 * frame is assumed never to change threads, which is true for virtual threads, whose identity
 * does not change when they migrate): in a compiled goroutine frame that spans a yield (a loop
 * calling {@code Go.park()}), C2 reuses the load from before the yield, and after the goroutine
 * migrates it names the carrier it ran on before. goloom found this the hard way (the ping-pong
 * test parked the wrong goroutine and pushed Gs into another M's run queue from the wrong
 * thread). The JDK exempts only methods annotated {@code @ChangesCurrentThread}, an annotation
 * honoured for boot-loader classes.
 *
 * <h2>What this reads instead</h2>
 * {@code Thread.currentCarrierThread()}, through {@link JavaLangAccess} (a constant object the JIT
 * devirtualises and inlines into the intrinsic). C2 compiles it as an ordinary load of the
 * thread register's {@code threadObj} handle from memory, not immutable memory (JDK 25,
 * {@code LibraryCallKit::generate_current_thread}: {@code is_immutable = false}; later jdk25u
 * sources also make it an acquiring load), so any call in between (every yield is one) forces a fresh load, and the thread
 * register itself is the carrier the frame runs on now. The cost is two dependent loads, no
 * call. {@code CarrierLookupTest} is the guard: hot compiled loops that look up the carrier
 * and the current G around {@code Go.gosched()} on two carriers; with
 * {@code Thread.currentThread()} here instead, the scheduler parks the wrong goroutine and the
 * test fails. (goloom's first version called a {@code @DontInline} boot-class method, a real
 * call on every lookup; it assumed, wrongly for JDK 25, that {@code currentCarrierThread()} was
 * an immutable load too.) Needs {@code --add-exports java.base/jdk.internal.access=ALL-UNNAMED},
 * which goloom's launcher, jars and build pass.
 */
public final class Carrier {
    private Carrier() {
    }

    private static final JavaLangAccess JLA = access();

    private static JavaLangAccess access() {
        JvmFlags.require(); // jdk.internal.access must be exported: name the flag if it is missing
        return SharedSecrets.getJavaLangAccess();
    }

    /** The platform thread the caller runs on (the carrier, even inside a virtual thread). */
    public static Thread current() {
        return JLA.currentCarrierThread();
    }
}
