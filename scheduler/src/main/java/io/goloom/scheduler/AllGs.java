package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import java.util.ArrayList;
import java.util.List;

/**
 * The registry of live goroutines (Go's allgs), for goroutine counts, dumps and the report of
 * Gs still alive when a runtime closes. Striped by goroutine id so concurrent spawns and exits
 * on different Ps rarely meet on a lock; each stripe is an intrusive doubly-linked list
 * through SchedLinks.allPrev/allNext, so registering allocates nothing.
 */
final class AllGs {
    private static final int STRIPES = 64; // power of two; > cores * 8 keeps collisions rare

    private static final class Stripe {
        /** Guarded by this stripe's monitor. */
        G head;
        int size;
        // keep stripes on separate cache lines: spawns on different Ps hit different stripes
        long p1, p2, p3, p4, p5, p6;
    }

    private final Stripe[] stripes = new Stripe[STRIPES];

    AllGs() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    private Stripe stripe(G g) {
        return stripes[(int) (g.id & (STRIPES - 1))];
    }

    void add(G g) {
        Stripe s = stripe(g);
        synchronized (s) {
            G h = s.head;
            SchedLinks.setAllNext(g, h);
            SchedLinks.setAllPrev(g, null);
            if (h != null) {
                SchedLinks.setAllPrev(h, g);
            }
            s.head = g;
            s.size++;
        }
    }

    void remove(G g) {
        Stripe s = stripe(g);
        synchronized (s) {
            G prev = SchedLinks.allPrev(g), next = SchedLinks.allNext(g);
            if (prev != null) {
                SchedLinks.setAllNext(prev, next);
            } else {
                if (s.head != g) {
                    throw new IllegalStateException("goloom: allgs.remove: " + g + " is not registered");
                }
                s.head = next;
            }
            if (next != null) {
                SchedLinks.setAllPrev(next, prev);
            }
            SchedLinks.setAllPrev(g, null);
            SchedLinks.setAllNext(g, null);
            s.size--;
        }
    }

    /** Number of live goroutines; each stripe is exact, the sum is a racy snapshot. */
    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.size;
            }
        }
        return n;
    }

    List<G> snapshot() {
        List<G> out = new ArrayList<>();
        for (Stripe s : stripes) {
            synchronized (s) {
                for (G g = s.head; g != null; g = SchedLinks.allNext(g)) {
                    out.add(g);
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.id, b.id));
        return out;
    }
}
