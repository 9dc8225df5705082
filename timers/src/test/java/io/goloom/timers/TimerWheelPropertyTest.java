package io.goloom.timers;

import io.goloom.testkit.Stress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random add/remove/re-add/advance sequences checked against a sorted-set reference model:
 * after every advance the timers handed out must be exactly the reference's expired set, and
 * nextDeadline must match the reference's minimum (exactly within the 64-tick block, as a
 * bound beyond it). Fixed seeds; several geometries, including tiny ones that live in the
 * overflow list and a clock that wraps.
 *
 * <p>Scale: {@code -Dgoloom.stress=N} multiplies the operation count (1: about 1.2 million
 * operations over all cases, a few seconds). Heavy run:
 * {@code mvn -pl timers test -Dgoloom.stress=20 -Dtest=TimerWheelPropertyTest}.
 */
class TimerWheelPropertyTest {

    static final int STRESS = Stress.FACTOR;
    /** Operations per case at stress 1: 12 cases x 100k = 1.2M. */
    static final int OPS = 100_000;
    /** Timers in a case's pool; bounds the live set. */
    static final int POOL = 2_048;

    static final class N extends TimerNode {
        final int id;
        long ref;             // the reference deadline while pending
        boolean refPending;
        long firedIn = -1;    // advance number that handed it out

        N(int id) {
            this.id = id;
        }

        @Override
        protected void fire() {
            throw new AssertionError("the wheel never calls fire()");
        }
    }

    static Arguments geometry(String name, long tickNanos, int levels, long start, long seed) {
        return Arguments.of(name + " seed=" + seed, tickNanos, levels, start, seed);
    }

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long[] seeds = {1, 42, 0xC0FFEE};
        for (long seed : seeds) {
            out.add(geometry("1ms x 6 (default)", 1_000_000, 6, 31_337, seed));
            out.add(geometry("1us x 2 (overflow-heavy)", 1_000, 2, -5_000_000_000L, seed));
            out.add(geometry("1ns x 1 (a 64-tick ring)", 1, 1, Long.MAX_VALUE - 40_000, seed));
        }
        out.add(geometry("7ms x 3 (odd tick)", 7_000_000, 3, 0, 7));
        out.add(geometry("1ms x 6, clock wraps", 1_000_000, 6, Long.MAX_VALUE - 30_000_000_000L, 9));
        out.add(geometry("333ns x 4", 333, 4, 123, 11));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReferenceModel(String name, long tick, int levels, long start, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        TimerWheel w = new TimerWheel(start, tick, levels);
        long span = tick << (6 * levels); // what the slots cover
        // The reference orders by time since start, which never wraps in a run.
        TreeSet<N> ref = new TreeSet<>(Comparator.<N>comparingLong(n -> n.ref - start).thenComparingInt(n -> n.id));
        N[] pool = new N[POOL];
        for (int i = 0; i < POOL; i++) pool[i] = new N(i);
        long now = start;
        long advances = 0;
        long totalFired = 0;
        List<N> handed = new ArrayList<>();
        java.util.Set<N> left = new java.util.HashSet<>(); // due, not handed out by a bounded advance
        int ops = OPS * STRESS;
        for (int op = 0; op < ops; op++) {
            int kind = rnd.nextInt(100);
            N n = pool[rnd.nextInt(POOL)];
            if (kind < 40) {                        // add (or move, if pending: remove + add)
                if (n.refPending) {
                    assertTrue(w.remove(n));
                    ref.remove(n);
                    left.remove(n); // re-added: a new arming, not a leftover of an advance
                }
                long d = now + delay(rnd, tick, span);
                w.add(n, d);
                n.ref = d;
                n.refPending = true;
                ref.add(n);
            } else if (kind < 55) {                 // remove
                boolean was = n.refPending;
                assertEquals(was, w.remove(n), "remove must report pending");
                if (was) {
                    ref.remove(n);
                    left.remove(n);
                    n.refPending = false;
                }
            } else {                                // advance
                long next = w.nextDeadline();
                long to;
                int how = rnd.nextInt(100);
                if (how < 10 && next != TimerWheel.NONE) to = next;  // the idle M: sleep until it
                else to = now + jump(rnd, tick, span, BUDGET - (now - start));
                if (rnd.nextInt(200) == 0) to = now - rnd.nextLong(1, 10 * tick + 2); // stale now
                advances++;
                handed.clear();
                final long adv = advances;
                // A third of the advances hand out at most a few timers (the scheduler's bound:
                // its run queue's room); the other due timers must stay due and come out first.
                int max = rnd.nextInt(100) < 30 ? rnd.nextInt(6) : Integer.MAX_VALUE;
                w.advance(to, t -> {
                    N m = (N) t;
                    if (m.firedIn == adv) fail("handed out twice in one advance: " + m.id);
                    m.firedIn = adv;
                    handed.add(m);
                }, max);
                if (to - now > 0) now = to;
                assertEquals(now, w.now());
                // The reference's expired set: all of it handed out, or max of it and the rest left.
                List<N> due = new ArrayList<>();
                for (N e : ref) {
                    if (e.ref - now > 0) break;
                    due.add(e);
                }
                for (N h : handed) {
                    if (!h.refPending || h.ref - now > 0) {
                        fail(name + ": op " + op + ": timer " + h.id + " fired early or not pending: deadline "
                                + (h.ref - start) + " now " + (now - start));
                    }
                }
                assertEquals(Math.min(max, due.size()), handed.size(), name + ": op " + op + ": fired set size");
                boolean newcomer = false;
                for (N h : handed) newcomer |= !left.contains(h);
                if (newcomer) {
                    for (N l : left) {
                        if (l.firedIn != adv) fail(name + ": op " + op + ": timer " + l.id
                                + " left due by an earlier advance was passed over for a timer that came due later");
                    }
                }
                left.clear();
                for (N e : due) {
                    ref.remove(e);
                    if (e.firedIn == adv) {
                        e.refPending = false;
                    } else {
                        left.add(e);
                    }
                }
                ref.addAll(left);
                totalFired += handed.size();
            }
            if (left.isEmpty()) {
                checkNext(name, w, ref, now, start, tick);
            } else {
                long next = w.nextDeadline();
                assertTrue(next != TimerWheel.NONE && next - now <= 0, name + ": timers left due, but nextDeadline is "
                        + (next == TimerWheel.NONE ? "NONE" : Long.toString(next - start)) + " at now " + (now - start));
            }
            assertEquals(ref.size(), w.size());
            if ((op & 4095) == 0) w.checkInvariants();
        }
        w.checkInvariants();
        assertTrue(totalFired > ops / 10, "the run must actually fire timers: " + totalFired);
        System.out.printf("timers property [%s]: %d ops, %d fired, %d advances, %d slot visits, %d live, %d ns simulated%n",
                name, ops, totalFired, advances, w.slotVisits, ref.size(), now - start);
    }

    /** nextDeadline: exact within the 64-tick block (or when due), else a bound in (now, min]. */
    static void checkNext(String name, TimerWheel w, TreeSet<N> ref, long now, long start, long tick) {
        long next = w.nextDeadline();
        if (ref.isEmpty()) {
            assertEquals(TimerWheel.NONE, next, name);
            return;
        }
        long min = ref.first().ref;
        long minTick = Math.floorDiv(min - w.origin(), tick);
        boolean exact = min - now <= 0 || (minTick >>> 6) == (w.elapsedTick() >>> 6);
        if (exact) {
            assertEquals(min - start, next - start, name + ": nextDeadline must be exact");
        } else {
            assertTrue(next - min <= 0, () -> name + ": nextDeadline " + (next - start) + " after the earliest " + (min - start));
            assertTrue(next - now > 0, () -> name + ": a lower bound must still be after now");
        }
    }

    /** A deadline offset: some due, mostly near, some across levels, some beyond every level. */
    static long delay(SplittableRandom rnd, long tick, long span) {
        int k = rnd.nextInt(100);
        if (k < 10) return -rnd.nextLong(0, 3 * tick + 1);                   // due already
        if (k < 55) return rnd.nextLong(0, 130 * tick);                      // within ~2 blocks
        if (k < 85) return rnd.nextLong(0, span);                            // anywhere in the slots
        return rnd.nextLong(span, Math.min(span * 100, 1L << 58));           // overflow
    }

    /**
     * A time jump: mostly small, sometimes a level, rarely huge (beyond every level). Big jumps
     * stay within {@code left}, so a run's time since start stays below {@link #BUDGET}.
     */
    static long jump(SplittableRandom rnd, long tick, long span, long left) {
        int k = rnd.nextInt(100);
        long j;
        if (k < 60) return rnd.nextLong(0, 3 * tick + 1);                    // sub-tick to 3 ticks
        else if (k < 85) j = rnd.nextLong(0, 200 * tick);
        else if (k < 98) j = rnd.nextLong(0, Math.max(span / 16, 2));
        else j = rnd.nextLong(0, span * 3);                                  // huge idle gap
        return j < left ? j : rnd.nextLong(0, 3 * tick + 1);
    }

    /**
     * Simulated time per run stays below 2^60 ns (36 years), so times since start, deadlines
     * included (at most 2^58 ahead), never overflow in the reference's comparator.
     */
    static final long BUDGET = 1L << 60;
}
