package io.goloom.timers;

import io.goloom.testkit.Stress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * TimerQueue against a reference model, single-threaded: random schedule/reset/cancel through
 * the inbox and through the owner's local paths, runExpired with random time jumps, and fire()
 * callbacks that re-arm themselves (tickers), or cancel or reset a random timer (possibly one
 * due in the same run and not yet fired, or the firing timer itself). Checks every return value (Stop and Reset semantics), that each run fires exactly
 * the reference's expired set, the next deadline, and the hint. Requests are left on the inbox
 * between runs, so queued cancels and repeated resets are exercised.
 *
 * <p>Scale: {@code -Dgoloom.stress=N} multiplies the operation count (1: 400k operations, about
 * a second). Heavy run: {@code mvn -pl timers test -Dgoloom.stress=20 -Dtest=TimerQueuePropertyTest}.
 */
class TimerQueuePropertyTest {

    static final int STRESS = Stress.FACTOR;
    static final int OPS = 100_000;
    static final int POOL = 1_024;

    static Arguments c(String name, long tick, int levels, long seed) {
        return Arguments.of(name + " seed=" + seed, tick, levels, seed);
    }

    static List<Arguments> cases() {
        return List.of(c("1ms x 6", 1_000_000, 6, 3), c("1ms x 6", 1_000_000, 6, 4),
                c("1us x 2", 1_000, 2, 5), c("1us x 2", 1_000, 2, 6));
    }

    /** The model and the node in one: ref fields are the reference's view of this timer. */
    final class Q extends TimerNode {
        final int id;
        long ref;
        boolean refPending;
        long dueIn = -1;   // the run in which the reference expects it to fire
        long firedIn = -1; // the run in which it fired

        Q(int id) {
            this.id = id;
        }

        @Override
        protected void fire() {
            if (firedIn == run) fail("fired twice in run " + run + ": " + id);
            if (dueIn != run) fail("fired but not due in run " + run + ": " + id + " deadline " + (deadline - start));
            assertTrue(deadline - now <= 0, "never early");
            firedIn = run;
            fired++;
            if (id % 10 == 0) {                    // a ticker: re-arm itself
                long d = now + rnd.nextLong(0, 3 * tick);
                boolean wasPending = rnd.nextBoolean() ? q.resetLocal(this, d) : q.reset(this, d);
                assertFalse(wasPending, "firing is not pending");
                arm(this, d);
            } else if (id % 10 == 1) {             // cancel a random timer, maybe one due now
                Q x = pool[rnd.nextInt(POOL)];
                boolean modelPending = x.refPending || (x.dueIn == run && x.firedIn != run);
                boolean stopped = rnd.nextBoolean() ? q.cancelLocal(x) : q.cancel(x);
                assertEquals(modelPending, stopped, "cancel from fire(): " + x.id);
                if (stopped) disarm(x);
            } else if (id % 10 == 2) {             // reset a random timer, maybe one due now
                Q x = pool[rnd.nextInt(POOL)];
                boolean modelPending = x.refPending || (x.dueIn == run && x.firedIn != run);
                long d = now + rnd.nextLong(-tick, 3 * tick);
                boolean wasPending = rnd.nextBoolean() ? q.resetLocal(x, d) : q.reset(x, d);
                assertEquals(modelPending, wasPending, "reset from fire(): " + x.id);
                if (x.dueIn == run && x.firedIn != run) x.dueIn = -1; // superseded: not in this run
                arm(x, d);
            }
        }
    }

    SplittableRandom rnd;
    TimerQueue q;
    long start, now, tick, run;
    int fired;
    Q[] pool;
    TreeSet<Q> ref;
    final List<Q> due = new ArrayList<>();

    void arm(Q n, long d) {
        if (n.refPending) ref.remove(n);
        n.ref = d;
        n.refPending = true;
        ref.add(n);
    }

    void disarm(Q n) {
        if (n.refPending) {
            ref.remove(n);
            n.refPending = false;
        } else {
            n.dueIn = -1; // was due in this run and not yet fired: now it must not fire
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReferenceModel(String name, long tick, int levels, long seed) {
        this.rnd = new SplittableRandom(seed);
        this.tick = tick;
        this.start = 99_999_999_999L * seed;
        this.now = start;
        this.q = new TimerQueue(new TimerWheel(start, tick, levels));
        this.ref = new TreeSet<>(Comparator.<Q>comparingLong(n -> n.ref - start).thenComparingInt(n -> n.id));
        this.pool = new Q[POOL];
        for (int i = 0; i < POOL; i++) pool[i] = new Q(i);
        long span = tick << (6 * levels);
        long totalFired = 0;
        int ops = OPS * STRESS;
        for (int op = 0; op < ops; op++) {
            int kind = rnd.nextInt(100);
            Q n = pool[rnd.nextInt(POOL)];
            if (kind < 40) {
                long d = now + TimerWheelPropertyTest.delay(rnd, tick, span);
                boolean wasPending = n.refPending;
                switch (rnd.nextInt(4)) {
                    case 0 -> q.schedule(n, d);
                    case 1 -> q.scheduleLocal(n, d);
                    case 2 -> assertEquals(wasPending, q.reset(n, d), "reset: was pending");
                    default -> assertEquals(wasPending, q.resetLocal(n, d), "resetLocal: was pending");
                }
                arm(n, d);
                assertFalse(TimerWheel.before(d, q.earliestHint()), "the hint covers every armed deadline");
            } else if (kind < 55) {
                boolean stopped = rnd.nextBoolean() ? q.cancel(n) : q.cancelLocal(n);
                assertEquals(n.refPending, stopped, "cancel: prevented a fire");
                if (stopped) disarm(n);
            } else {
                long to = now + TimerWheelPropertyTest.jump(rnd, tick, span,
                        TimerWheelPropertyTest.BUDGET - (now - start));
                run++;
                due.clear();
                while (!ref.isEmpty() && ref.first().ref - to <= 0) {
                    Q e = ref.pollFirst();
                    e.refPending = false;
                    e.dueIn = run;
                    due.add(e);
                }
                int expected = due.size();
                now = to;
                fired = 0;
                int reported = q.runExpired(to);
                assertEquals(fired, reported);
                int stillDue = 0;
                for (Q p : due) {
                    if (p.dueIn == run && p.firedIn != run) stillDue++;
                }
                if (stillDue != 0) fail(name + ": " + stillDue + " due timers did not fire in run " + run);
                assertTrue(fired <= expected);
                totalFired += fired;
                assertEquals(q.wheel().nextDeadline(), q.earliestHint(), "published after the run");
                if (!ref.isEmpty()) {
                    assertFalse(TimerWheel.before(ref.first().ref, q.earliestHint()),
                            "the published hint covers timers armed through the inbox during the run");
                }
                if ((run & 63) == 0) q.wheel().checkInvariants(); // O(live + slots): not every run
            }
            if ((op & 7) == 0) {
                TimerWheelPropertyTest.checkNext(name, q.wheel(), refView(), now, start, tick);
                long next = q.nextDeadline(); // drains the inbox; checkNext saw the wheel before
                if (!ref.isEmpty()) assertFalse(TimerWheel.before(ref.first().ref, next), "nextDeadline is a lower bound");
                assertEquals(ref.size(), q.size());
            }
        }
        q.wheel().checkInvariants();
        assertTrue(totalFired > ops / 20, "the run must actually fire timers: " + totalFired);
        System.out.printf("timers queue property [%s]: %d ops, %d runs, %d fired%n", name, ops, run, totalFired);
    }

    /** The reference as the wheel test's checker wants it, once the inbox is applied. */
    TreeSet<TimerWheelPropertyTest.N> refView() {
        q.nextDeadline(); // apply the inbox so the wheel holds what the reference holds
        TreeSet<TimerWheelPropertyTest.N> view = new TreeSet<>(
                Comparator.<TimerWheelPropertyTest.N>comparingLong(x -> x.ref - start).thenComparingInt(x -> x.id));
        if (!ref.isEmpty()) {
            TimerWheelPropertyTest.N m = new TimerWheelPropertyTest.N(-1);
            m.ref = ref.first().ref;
            view.add(m);
        }
        return view;
    }
}
