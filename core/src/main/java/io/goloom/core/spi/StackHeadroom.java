package io.goloom.core.spi;

/**
 * Makes sure the calling thread has the stack that a multi-step runtime protocol needs before
 * it takes its first step, so a {@link StackOverflowError} cannot strike halfway through it.
 *
 * <p>Why: any call can throw StackOverflowError (HotSpot bangs the stack at every method
 * entry). A lock or a channel section survives that with {@code try/finally}, but a protocol
 * whose steps publish state that others act on cannot be undone: a {@link io.goloom.core.Mutex} waiter that
 * has counted itself in the state word and then dies before it queues, or an unlocker that has
 * taken the right to wake a waiter and then dies before the wake, leaves the mutex unable to
 * wake anyone again; a scheduler's wakep that has counted a spinning M (its 0 -> 1 CAS) and
 * then dies before it starts one leaves the count at 1, so no later wakep wakes anyone. Such
 * slow paths call {@link #ensure} first: it recurses
 * {@link #FRAMES} frames deep, deeper than any of those protocols goes (a semaphore wait goes
 * through the Sema, its ChanLock's contended path, AQS and the continuation yield: about a
 * dozen frames), so if the stack is too short the error is thrown here, before any step.
 *
 * <p>Cost: {@link #FRAMES} calls, about 50-100 ns once compiled; used only on paths that are
 * about to park or wake a parked goroutine, which cost microseconds.
 */
public final class StackHeadroom {

    /** Probe depth; each frame also carries a few locals, like the frames it stands for. */
    static final int FRAMES = 32;

    private StackHeadroom() {
    }

    /** Throws StackOverflowError now if a protocol of up to {@link #FRAMES} frames could hit it later. */
    public static void ensure() {
        if (probe(FRAMES, 1L, 2L, 3L) == Long.MIN_VALUE) {
            throw new AssertionError("unreachable");
        }
    }

    private static long probe(int n, long a, long b, long c) {
        if (n == 0) {
            return a ^ b ^ c;
        }
        // Use the values after the call so the frame keeps them (the JIT cannot drop them).
        long r = probe(n - 1, b, c, a + n);
        return r + a - b + c;
    }
}
