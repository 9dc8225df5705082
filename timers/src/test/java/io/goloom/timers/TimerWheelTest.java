package io.goloom.timers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The single-owner wheel: every rule of its contract, driven through an injected clock. */
class TimerWheelTest {

    static final long US = 1_000L;
    static final long MS = 1_000_000L;
    static final long SEC = 1_000 * MS;
    static final long DAY = 86_400 * SEC;
    static final long YEAR = 365 * DAY;
    /** An arbitrary origin: nothing may depend on the clock starting at 0. */
    static final long T0 = 7_777_777_777L;

    static final class T extends TimerNode {
        final String name;

        T(String name) {
            this.name = name;
        }

        @Override
        protected void fire() {
            throw new AssertionError("the wheel never calls fire()");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Advances and returns what was handed out, asserting never-early and the invariants. */
    static List<TimerNode> advance(TimerWheel w, long now) {
        List<TimerNode> out = new ArrayList<>();
        long effective = Math.max(0, now - w.now()) + w.now(); // time never goes back
        w.advance(now, n -> {
            assertTrue(n.deadline - effective <= 0, () -> "fired early: " + n.deadline + " > " + effective);
            out.add(n);
        });
        w.checkInvariants();
        return out;
    }

    static T add(TimerWheel w, String name, long deadline) {
        T t = new T(name);
        w.add(t, deadline);
        w.checkInvariants();
        return t;
    }

    @Test
    void zeroAndNegativeDelaysFireAtTheNextAdvance() {
        TimerWheel w = new TimerWheel(T0);
        long now = T0 + 5 * MS + 300 * US;
        assertEquals(List.of(), advance(w, now));
        T zero = add(w, "zero", now);
        T negative = add(w, "negative", now - 7 * MS);
        T ancient = add(w, "ancient", now - 3 * DAY);
        assertEquals(ancient.deadline, w.nextDeadline(), "exact, and at or before now: due");
        List<TimerNode> fired = advance(w, now); // same now: still fires
        assertEquals(3, fired.size());
        assertTrue(fired.containsAll(List.of(zero, negative, ancient)));
        assertEquals(0, w.size());
        assertEquals(TimerWheel.NONE, w.nextDeadline());
    }

    @Test
    void neverFiresEarlyAndFiresExactlyAtItsDeadlineWithinATick() {
        TimerWheel w = new TimerWheel(T0);
        long d = T0 + 2 * MS + 500 * US + 1; // mid-tick
        T t = add(w, "t", d);
        assertEquals(d, w.nextDeadline());
        assertEquals(List.of(), advance(w, T0 + 2 * MS)); // same tick, before the deadline
        assertEquals(List.of(), advance(w, d - 1));
        assertEquals(d, w.nextDeadline());
        assertEquals(List.of(t), advance(w, d));
    }

    @Test
    void timersOfOneTickFireInDeadlineOrderAcrossRepeatedAdvances() {
        TimerWheel w = new TimerWheel(T0);
        long tickStart = T0 + 40 * MS;
        List<T> ts = new ArrayList<>();
        for (int i = 999; i >= 0; i--) ts.add(add(w, "t" + i, tickStart + i * US)); // reverse order
        advance(w, tickStart - 1);
        for (int i = 0; i < 1000; i++) {
            long now = tickStart + i * US;
            assertEquals(now, w.nextDeadline());
            List<TimerNode> fired = advance(w, now);
            assertEquals(1, fired.size(), "exactly the one due at " + i);
            assertEquals("t" + i, fired.get(0).toString());
        }
        assertEquals(0, w.size());
    }

    /** Advances with a bound on what is handed out, asserting never-early and the invariants. */
    static List<TimerNode> advance(TimerWheel w, long now, int max) {
        List<TimerNode> out = new ArrayList<>();
        long effective = Math.max(0, now - w.now()) + w.now();
        int handed = w.advance(now, n -> {
            assertTrue(n.deadline - effective <= 0, () -> "fired early: " + n.deadline + " > " + effective);
            out.add(n);
        }, max);
        assertEquals(out.size(), handed);
        w.checkInvariants();
        return out;
    }

    @Test
    void aBoundedAdvanceKeepsTheRestDueAndHandsThemOutFirstInTheOrderTheyCameDue() {
        TimerWheel w = new TimerWheel(T0);
        List<T> ts = new ArrayList<>();
        for (int i = 0; i < 10; i++) ts.add(add(w, "a" + i, T0 + (3 + i) * MS)); // ten ticks, level 0
        T far = add(w, "far", T0 + 100 * MS); // level 1: cascades on the way, never due here
        long now = T0 + 20 * MS;
        assertEquals(List.of(ts.get(0), ts.get(1), ts.get(2), ts.get(3)), advance(w, now, 4));
        assertEquals(7, w.size(), "six due, one pending");
        assertTrue(w.nextDeadline() - now <= 0, "the rest are due: the hint must say so");
        T late = add(w, "late", now); // due now, came due after the six left over
        assertEquals(List.of(), advance(w, now + MS, 0), "max 0 moves time only");
        assertTrue(w.remove(ts.get(5)), "a due timer not handed out yet can still be removed");
        assertEquals(List.of(ts.get(4), ts.get(6), ts.get(7)), advance(w, now + MS, 3));
        assertEquals(List.of(ts.get(8), ts.get(9), late), advance(w, now + 2 * MS));
        assertEquals(1, w.size(), "only far is left");
        assertEquals(List.of(far), advance(w, far.deadline));
        assertThrows(IllegalArgumentException.class, () -> w.advance(now, n -> { }, -1));
    }

    @Test
    void removeIsConstantTimeAndReportsWhetherTheTimerWasPending() {
        TimerWheel w = new TimerWheel(T0);
        List<T> same = new ArrayList<>();
        for (int i = 0; i < 1000; i++) same.add(add(w, "s" + i, T0 + 20 * MS)); // one slot
        long visits = w.slotVisits;
        assertTrue(w.remove(same.get(0)));   // a tail of the slot list (pushed first)
        assertTrue(w.remove(same.get(999))); // the head
        assertTrue(w.remove(same.get(500))); // the middle
        assertFalse(w.remove(same.get(500)), "second remove is a no-op");
        assertEquals(visits, w.slotVisits, "remove visits no slot");
        assertEquals(997, w.size());
        w.checkInvariants();
        List<TimerNode> fired = advance(w, T0 + 20 * MS);
        assertEquals(997, fired.size());
        assertFalse(fired.contains(same.get(0)) || fired.contains(same.get(999)) || fired.contains(same.get(500)));
        assertFalse(w.remove(same.get(1)), "remove after the fire returns false");
    }

    @Test
    void farFutureTimersWaitInTheOverflowAndFireExactlyAtTheirTime() {
        TimerWheel w = new TimerWheel(T0);
        T threeYears = add(w, "3y", T0 + 3 * YEAR + 123_456_789);
        T tenYears = add(w, "10y", T0 + 10 * YEAR + 7);
        T century = add(w, "100y", T0 + 100 * YEAR);
        assertEquals(threeYears.deadline, w.nextDeadline(), "only overflow timers: exact");
        assertEquals(List.of(), advance(w, threeYears.deadline - 1));
        assertEquals(List.of(threeYears), advance(w, threeYears.deadline));
        // Walk to the next one in uneven steps (about 37 days) through many refill points.
        long now = w.now();
        while (tenYears.deadline - (now + 37 * DAY + 11) > 0) {
            now += 37 * DAY + 11;
            assertEquals(List.of(), advance(w, now));
            long next = w.nextDeadline();
            assertTrue(next - now > 0 && next - tenYears.deadline <= 0, "a bound between now and the deadline");
        }
        assertEquals(List.of(), advance(w, tenYears.deadline - 1));
        assertEquals(tenYears.deadline, w.nextDeadline(), "1 ns away: exact");
        assertEquals(List.of(tenYears), advance(w, tenYears.deadline));
        assertEquals(List.of(), advance(w, century.deadline - 1));
        assertEquals(List.of(century), advance(w, century.deadline + 5 * YEAR));
        assertEquals(0, w.size());
    }

    @Test
    void advancingOverAHugeIdleGapIsConstantWork() {
        TimerWheel w = new TimerWheel(T0);
        advance(w, T0 + YEAR); // empty wheel
        assertEquals(0, w.slotVisits, "an empty wheel visits no slot");

        T far = add(w, "far", w.now() + YEAR);
        T farther = add(w, "farther", w.now() + 2 * YEAR); // beyond the ring at some elapsed
        long visits = w.slotVisits;
        assertEquals(List.of(far), advance(w, far.deadline)); // one call, a year of ticks
        long work = w.slotVisits - visits;
        assertTrue(work <= w.levels() + 1, "visits " + work + " for a year: one per level at most, plus a refill");
        visits = w.slotVisits;
        assertEquals(List.of(farther), advance(w, farther.deadline + YEAR));
        assertTrue(w.slotVisits - visits <= w.levels() + 1);
    }

    @Test
    void nextDeadlineIsExactAfterInsertsRemovesAndCascades() {
        TimerWheel w = new TimerWheel(T0);
        advance(w, T0 + 3 * MS + 17);
        long now = w.now();
        T a = add(w, "a", now + 10 * MS + 1);
        T b = add(w, "b", now + 30 * MS + 2);
        T c = add(w, "c", now + 5 * SEC + 3);   // level 2
        T d = add(w, "d", now + 3 * 60 * SEC);  // level 3
        assertEquals(a.deadline, w.nextDeadline());
        T e = add(w, "e", now + 7 * MS);
        assertEquals(e.deadline, w.nextDeadline(), "an earlier insert");
        assertTrue(w.remove(e));
        assertEquals(a.deadline, w.nextDeadline(), "after removing the earliest");
        assertTrue(w.remove(a));
        assertEquals(b.deadline, w.nextDeadline());
        assertTrue(w.remove(b));
        long bound = w.nextDeadline(); // c sits on level 2: the start of its slot
        assertTrue(bound - now > 0 && bound - c.deadline <= 0, "a lower bound between now and c");
        // The idle M's loop: sleep until nextDeadline, advance, repeat. It reaches c without
        // firing early, in at most one step per level, and the last answers are exact.
        int steps = 0;
        List<TimerNode> fired;
        do {
            long next = w.nextDeadline();
            assertTrue(next - c.deadline <= 0);
            fired = advance(w, next);
            steps++;
        } while (fired.isEmpty());
        assertEquals(List.of(c), fired);
        assertEquals(c.deadline, w.now(), "woke exactly at c's deadline");
        assertTrue(steps <= w.levels(), "steps " + steps);
        long dBound = w.nextDeadline();
        assertTrue(dBound - d.deadline <= 0 && dBound - w.now() > 0);
        advance(w, d.deadline - 2 * MS);
        assertEquals(d.deadline, w.nextDeadline(), "cascaded down to level 0: exact");
    }

    @Test
    void survivesTheClockWrapping() {
        long start = Long.MAX_VALUE - 50 * MS;
        TimerWheel w = new TimerWheel(start);
        T before = add(w, "before", start + 10 * MS);
        T across = add(w, "across", start + 100 * MS);          // wraps to a negative value
        T far = add(w, "far", start + 3 * YEAR);
        assertTrue(across.deadline < 0 && far.deadline < 0, "the raw values wrapped");
        assertEquals(before.deadline, w.nextDeadline());
        assertEquals(List.of(before), advance(w, start + 60 * MS));
        assertEquals(start + 64 * MS, w.nextDeadline(), "tick 100 is past the 64-tick block: its slot start");
        advance(w, start + 64 * MS);                                  // now wraps too
        assertEquals(across.deadline, w.nextDeadline());
        assertEquals(List.of(), advance(w, across.deadline - 1));
        assertEquals(List.of(across), advance(w, across.deadline));
        assertEquals(List.of(far), advance(w, far.deadline));
    }

    @Test
    void theSinkMayAddAndRemoveTimers() {
        TimerWheel w = new TimerWheel(T0);
        long now = T0 + 50 * MS;
        T a = add(w, "a", now - 2);
        T b = add(w, "b", now - 1);
        T c = add(w, "c", now);
        T added = new T("added");
        List<TimerNode> out = new ArrayList<>();
        w.advance(now, n -> {
            out.add(n);
            if (n == a || n == b) { // whichever comes first removes the other, still due
                TimerNode other = n == a ? b : a;
                assertTrue(w.remove(other), "not yet handed out: removable");
                w.add(added, w.now()); // due, but only at the next advance
            }
        });
        w.checkInvariants();
        assertEquals(2, out.size());
        assertTrue(out.contains(c));
        assertEquals(List.of(added), advance(w, now));
    }

    @Test
    void advanceIsNotReentrant() {
        TimerWheel w = new TimerWheel(T0);
        add(w, "t", T0);
        assertThrows(IllegalStateException.class, () -> w.advance(T0, n -> w.advance(T0, m -> {})));
    }

    @Test
    void timeNeverGoesBack() {
        TimerWheel w = new TimerWheel(T0);
        advance(w, T0 + SEC);
        T t = add(w, "t", T0 + SEC + 5 * MS);
        assertEquals(List.of(), advance(w, T0)); // a stale now is the last now
        assertEquals(T0 + SEC, w.now());
        assertEquals(List.of(t), advance(w, T0 + SEC + 5 * MS));
    }

    @Test
    void addingALinkedTimerIsMisuse() {
        TimerWheel w = new TimerWheel(T0);
        T t = add(w, "t", T0 + MS);
        assertThrows(IllegalStateException.class, () -> w.add(t, T0 + 2 * MS));
    }

    @Test
    void geometryIsValidated() {
        assertThrows(IllegalArgumentException.class, () -> new TimerWheel(T0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TimerWheel(T0, MS, 0));
        assertThrows(IllegalArgumentException.class, () -> new TimerWheel(T0, 1, TimerWheel.MAX_LEVELS + 1));
        assertThrows(IllegalArgumentException.class, () -> new TimerWheel(T0, MS, 8), "2^48 ms overflows nanos");
        new TimerWheel(T0, MS, 7);
        new TimerWheel(T0, 1, TimerWheel.MAX_LEVELS);
    }

    @Test
    void aFinerTickAndFewerLevelsKeepTheContract() {
        TimerWheel w = new TimerWheel(T0, US, 2); // slots cover 4.096 ms; the rest overflows
        T near = add(w, "near", T0 + 700 * US + 3);
        T mid = add(w, "mid", T0 + 3 * MS + 1);
        T over = add(w, "over", T0 + 50 * MS + 2);
        T way = add(w, "way", T0 + 2 * SEC + 5);
        assertEquals(near.deadline, w.nextDeadline());
        assertEquals(List.of(near), advance(w, near.deadline));
        assertEquals(List.of(), advance(w, mid.deadline - 1));
        assertEquals(List.of(mid), advance(w, mid.deadline + 10 * US));
        assertEquals(List.of(), advance(w, over.deadline - 1));
        assertEquals(List.of(over), advance(w, over.deadline));
        assertEquals(List.of(way), advance(w, way.deadline));
    }
}
