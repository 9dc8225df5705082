package io.goloom.core.spi;

import io.goloom.core.G;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slot numbers of {@link io.goloom.core.GoLocal}s (one per GoLocal, for the life of the JVM,
 * as ThreadLocal's hash codes) and which of them a new goroutine inherits. The scheduler calls
 * {@link #inherit} in newproc, on the creating goroutine, before the new G is published.
 *
 * <p>Concurrency: slots are handed out with one atomic increment; the inheritable set is a
 * copy-on-write array published through a volatile field, read without a lock (a GoLocal
 * created concurrently with a newproc is either in the copy that newproc reads or made after
 * it: it had no value to inherit yet).
 */
public final class LocalSlots {
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final Object LOCK = new Object();
    /** Slot -> inheritable; copy on write under LOCK, read without it. */
    private static volatile boolean[] inheritable = new boolean[0];

    private LocalSlots() {
    }

    /** A new slot number. */
    public static int newSlot(boolean inherit) {
        int slot = NEXT.getAndIncrement();
        if (inherit) {
            synchronized (LOCK) {
                boolean[] old = inheritable;
                boolean[] n = java.util.Arrays.copyOf(old, Math.max(old.length, slot + 1));
                n[slot] = true;
                inheritable = n;
            }
        }
        return slot;
    }

    /**
     * Gives {@code child} the inheritable values of {@code parent} (the goroutine calling
     * {@code go}); nothing when the parent has none. Called by newproc before the child is
     * published, so the child reads them without a fence of its own.
     */
    public static void inherit(G parent, G child) {
        Object[] from = SchedLinks.locals(parent);
        if (from == null) {
            return;
        }
        boolean[] inh = inheritable;
        Object[] to = null;
        for (int i = 0, n = Math.min(from.length, inh.length); i < n; i++) {
            if (inh[i] && from[i] != null) {
                if (to == null) {
                    to = new Object[from.length];
                }
                to[i] = from[i];
            }
        }
        if (to != null) {
            SchedLinks.setLocals(child, to);
        }
    }
}
