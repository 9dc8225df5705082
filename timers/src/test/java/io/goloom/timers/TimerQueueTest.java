package io.goloom.timers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** TimerQueue semantics, single-threaded where possible, and one deterministic cross-thread race. */
class TimerQueueTest {

    static final long MS = 1_000_000L;
    static final long T0 = -4_000_000_000L; // arbitrary, negative on purpose

    /** The owner's clock, read by fire() to check "never early". */
    long now = T0;
    final List<String> log = new ArrayList<>();
    final List<Long> wakes = new ArrayList<>();
    final TimerQueue q = new TimerQueue(new TimerWheel(T0), wakes::add);

    /** A timer that logs its fires and checks it is not early; optional action on fire. */
    final class T extends TimerNode {
        final String name;
        int fires;
        Consumer<T> onFire = t -> {};

        T(String name) {
            this.name = name;
        }

        @Override
        protected void fire() {
            assertTrue(deadline - now <= 0, () -> name + " fired early: " + deadline + " > " + now);
            fires++;
            log.add(name);
            onFire.accept(this);
        }
    }

    int run(long at) {
        now = at;
        int n = q.runExpired(at);
        q.wheel().checkInvariants();
        return n;
    }

    @Test
    void aRemoteScheduleReachesTheWheelAtTheNextRunAndFiresOnce() {
        T t = new T("t");
        q.schedule(t, T0 + 5 * MS);
        assertEquals(1, q.inboxLength());
        assertEquals(0, q.wheel().size(), "not applied before the owner drains");
        assertEquals(0, run(T0 + 5 * MS - 1));
        assertEquals(0, q.inboxLength());
        assertEquals(1, run(T0 + 5 * MS));
        assertEquals(0, run(T0 + 9 * MS));
        assertEquals(1, t.fires);
        assertFalse(t.isPending());
    }

    @Test
    void aBoundedRunFiresAtMostItsMaxAndTheHintSaysTheRestAreDue() {
        List<T> ts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            T t = new T("b" + i);
            ts.add(t);
            q.schedule(t, T0 + (1 + i) * MS); // remote: through the inbox
        }
        now = T0 + 10 * MS;
        assertEquals(2, q.runExpired(now, 2));
        q.wheel().checkInvariants();
        assertEquals(List.of("b0", "b1"), log);
        assertTrue(q.earliestHint() - now <= 0, "three still due");
        assertEquals(0, q.runExpired(now, 0));
        assertTrue(q.cancel(ts.get(3)), "a due timer not fired yet is still pending: cancel prevents its fire");
        assertEquals(2, run(now));
        assertEquals(List.of("b0", "b1", "b2", "b4"), log);
        assertEquals(TimerQueue.NONE, q.earliestHint());
        assertThrows(IllegalArgumentException.class, () -> q.runExpired(now, -1));
    }

    @Test
    void zeroAndNegativeDelaysFireAtTheNextRun() {
        run(T0 + 100 * MS);
        T zero = new T("zero"), negative = new T("negative"), local = new T("local");
        q.schedule(zero, now);
        q.schedule(negative, now - 50 * MS);
        q.scheduleLocal(local, now - 1);
        assertEquals(3, run(now));
    }

    @Test
    void cancelReturnsTrueOnlyWhenItPreventedAFire() {
        T t = new T("t");
        assertFalse(q.cancel(t), "never armed");
        q.schedule(t, T0 + MS);
        run(T0);
        assertTrue(q.cancel(t), "pending: prevented");
        assertFalse(q.cancel(t), "already cancelled");
        assertEquals(0, run(T0 + 2 * MS));
        assertEquals(0, t.fires);
        q.schedule(t, T0 + 3 * MS);
        assertEquals(1, run(T0 + 3 * MS));
        assertFalse(q.cancel(t), "after the fire: a harmless no-op");
        assertFalse(q.cancelLocal(t));
        assertEquals(1, t.fires);
    }

    @Test
    void aCancelWhileStillInTheInboxDropsTheTimer() {
        T t = new T("t");
        q.schedule(t, T0 + MS);
        assertTrue(q.cancel(t));
        assertEquals(1, q.inboxLength(), "cancel of a queued node pushes nothing");
        q.schedule(t, T0 + 2 * MS); // re-armed while still queued: still one entry
        assertTrue(q.cancel(t));
        assertEquals(1, q.inboxLength());
        assertEquals(0, run(T0 + 10 * MS));
        assertEquals(0, q.size());
        assertEquals(0, t.fires);
    }

    @Test
    void resetTwiceBeforeTheDrainQueuesTheNodeOnceAndTheLastDeadlineWins() {
        T t = new T("t");
        assertFalse(q.reset(t, T0 + 5 * MS), "idle: nothing was pending");
        assertTrue(q.reset(t, T0 + 9 * MS));
        assertTrue(q.reset(t, T0 + 7 * MS));
        assertEquals(1, q.inboxLength());
        assertEquals(T0 + 7 * MS, t.deadline());
        assertEquals(0, run(T0 + 6 * MS));
        assertEquals(1, run(T0 + 7 * MS));
        assertEquals(0, run(T0 + 9 * MS), "the superseded deadlines never fire");
    }

    @Test
    void resetReportsWhetherPendingAndReArmsAfterAFire() {
        T t = new T("t");
        q.schedule(t, T0 + MS);
        assertEquals(1, run(T0 + MS));
        assertFalse(q.reset(t, T0 + 4 * MS), "fired: not pending");
        assertTrue(q.resetLocal(t, T0 + 3 * MS), "pending, via the local path");
        assertEquals(0, run(T0 + 3 * MS - 1));
        assertEquals(1, run(T0 + 4 * MS));
        assertEquals(2, t.fires);
        assertFalse(q.resetLocal(t, T0 + 5 * MS));
        assertTrue(q.cancelLocal(t));
        assertFalse(q.resetLocal(t, T0 + 6 * MS), "cancelled: not pending");
        assertEquals(1, run(T0 + 6 * MS));
    }

    @Test
    void localCallsGoStraightToTheWheel() {
        T t = new T("t");
        q.scheduleLocal(t, T0 + 2 * MS);
        assertEquals(0, q.inboxLength());
        assertEquals(1, q.wheel().size());
        assertTrue(q.cancelLocal(t));
        assertEquals(0, q.wheel().size(), "unlinked at once");
        // A local arming of a node that a remote cancel left queued settles the queue first.
        q.scheduleLocal(t, T0 + 2 * MS);
        assertTrue(q.cancel(t));
        assertEquals(1, q.inboxLength());
        q.scheduleLocal(t, T0 + 3 * MS);
        assertEquals(0, q.inboxLength());
        assertEquals(1, run(T0 + 3 * MS));
    }

    @Test
    void aFireMayCancelAnotherTimerDueInTheSameRun() {
        for (boolean local : new boolean[] {false, true}) {
            T a = new T("a"), b = new T("b");
            List<Boolean> results = new ArrayList<>();
            a.onFire = x -> results.add(local ? q.cancelLocal(b) : q.cancel(b));
            b.onFire = x -> results.add(local ? q.cancelLocal(a) : q.cancel(a));
            long d = now + MS;
            q.schedule(a, d);
            q.schedule(b, d);
            assertEquals(1, run(d), "whichever fires first stops the other");
            assertEquals(List.of(true), results);
            assertEquals(1, a.fires + b.fires);
            assertEquals(0, run(d + 10 * MS));
            assertEquals(0, q.size());
        }
    }

    @Test
    void aFireMayResetAnotherTimerDueInTheSameRun() {
        for (boolean local : new boolean[] {false, true}) {
            T a = new T("a"), b = new T("b");
            long d = now + MS;
            List<Boolean> results = new ArrayList<>();
            a.onFire = x -> results.add(local ? q.resetLocal(b, d + 5 * MS) : q.reset(b, d + 5 * MS));
            b.onFire = x -> results.add(local ? q.resetLocal(a, d + 5 * MS) : q.reset(a, d + 5 * MS));
            q.schedule(a, d);
            q.schedule(b, d);
            assertEquals(1, run(d), "the reset one is superseded: it must not fire in this run");
            assertEquals(List.of(true), results, "it was pending: due, not yet fired");
            a.onFire = b.onFire = x -> {};
            assertEquals(0, run(d + 5 * MS - 1));
            assertEquals(1, run(d + 5 * MS), "its new arming fires once");
            assertEquals(1, a.fires);
            assertEquals(1, b.fires);
        }
    }

    @Test
    void aTickerReArmsItselfFromFire() {
        T ticker = new T("ticker");
        ticker.onFire = t -> assertFalse(q.resetLocal(t, now + 10 * MS), "firing: not pending");
        q.scheduleLocal(ticker, T0 + 10 * MS);
        for (int i = 1; i <= 100; i++) {
            assertEquals(1, run(T0 + i * 10 * MS));
            assertEquals(0, run(T0 + i * 10 * MS), "re-armed for the next period, not this run");
        }
        assertEquals(100, ticker.fires);
        assertTrue(ticker.isPending());
    }

    @Test
    void aZeroDelayTimerArmedInFireFiresAtTheNextRunNotThisOne() {
        T spinner = new T("spinner");
        spinner.onFire = t -> q.schedule(t, now); // period 0: must not loop inside one run
        q.scheduleLocal(spinner, T0);
        assertEquals(1, run(T0));
        assertEquals(1, run(T0));
        assertEquals(1, run(T0));
        assertEquals(3, spinner.fires);
    }

    @Test
    void theHintIsLoweredByArmingAndRaisedByTheOwner() {
        assertEquals(TimerQueue.NONE, q.earliestHint());
        T a = new T("a"), b = new T("b"), c = new T("c");
        assertTrue(q.schedule(a, T0 + 50 * MS), "earlier than NONE: wake");
        assertEquals(List.of(T0 + 50 * MS), wakes);
        assertFalse(q.schedule(b, T0 + 60 * MS), "later: nobody to wake");
        assertTrue(q.scheduleLocal(c, T0 + 20 * MS), "the owner's own arming wakes too");
        assertEquals(T0 + 20 * MS, q.earliestHint());
        assertTrue(q.cancel(c));
        assertEquals(T0 + 20 * MS, q.earliestHint(), "stale-early until the owner runs");
        run(T0 + MS);
        assertEquals(T0 + 50 * MS, q.earliestHint());
        assertEquals(q.nextDeadline(), q.earliestHint());
        run(T0 + 50 * MS);
        assertEquals(T0 + 60 * MS, q.earliestHint(), "exact: within the 64-tick block");
        run(T0 + 60 * MS);
        assertEquals(TimerQueue.NONE, q.earliestHint());
        assertEquals(List.of(T0 + 50 * MS, T0 + 20 * MS), wakes, "publishing never woke anyone here");
    }

    @Test
    void theOwnerWakesWhenItLowersAHintItJustRaised() {
        // x is due now; y far away. x.fire() arms z remotely: z's own check sees the old hint
        // (x's deadline, earlier than z) and wakes nobody. The owner then stores y's deadline,
        // finds z on the inbox, applies it, stores z's deadline and must wake: someone may have
        // read y's deadline in between and gone to sleep until then.
        T x = new T("x"), y = new T("y"), z = new T("z");
        q.scheduleLocal(x, T0 + MS);
        q.scheduleLocal(y, T0 + 1_000 * MS);
        wakes.clear();
        x.onFire = t -> assertFalse(q.schedule(z, now + 5 * MS));
        assertEquals(1, run(T0 + MS));
        assertEquals(List.of(T0 + 6 * MS), wakes);
        assertEquals(T0 + 6 * MS, q.earliestHint());
    }

    @Test
    void aThrowingFireCountsAsFiredAndTheRestFireNextTime() {
        T bad = new T("bad"), good = new T("good");
        bad.onFire = t -> {
            throw new IllegalStateException("boom");
        };
        q.scheduleLocal(bad, T0 + MS);
        q.scheduleLocal(good, T0 + MS);
        now = T0 + MS;
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> q.runExpired(now));
        assertEquals("boom", thrown.getMessage());
        assertTrue(q.earliestHint() - now <= 0 || good.fires == 1, "published: good is due, or already fired");
        run(now); // fires good if bad came first in the tick
        assertEquals(1, bad.fires);
        assertEquals(1, good.fires);
        assertFalse(q.cancel(bad), "fired");
        assertEquals(TimerQueue.NONE, q.earliestHint());
    }

    @Test
    void runExpiredIsNotReentrant() {
        T t = new T("t");
        AtomicReference<Throwable> inner = new AtomicReference<>();
        t.onFire = x -> inner.set(assertThrows(IllegalStateException.class, () -> q.runExpired(now)));
        q.scheduleLocal(t, T0);
        run(T0);
        assertTrue(inner.get().getMessage().contains("re-entrant"));
    }

    @Test
    void nextDeadlineAndSizeApplyTheInboxFirst() {
        T t = new T("t");
        q.schedule(t, T0 + 3 * MS);
        assertEquals(T0 + 3 * MS, q.nextDeadline());
        assertEquals(1, q.size());
        assertTrue(q.cancel(t));
        assertEquals(0, q.size());
        assertEquals(TimerQueue.NONE, q.nextDeadline());
    }

    @Test
    void aRunnableTimer() {
        int[] runs = {0};
        TimerNode t = TimerNode.of(() -> runs[0]++);
        q.schedule(t, T0);
        run(T0);
        assertEquals(1, runs[0]);
        assertTrue(t.toString().contains("FIRED"), t.toString());
        assertThrows(NullPointerException.class, () -> TimerNode.of(null));
    }

    /**
     * A deterministic cross-thread race: while the owner is inside a timer's fire(), another
     * thread stops it (too late: false) and resets it (not pending: false, but re-armed). The old
     * arming fires once, the new one once more, and the owner's FIRING -> FIRED step must not
     * clobber the new arming.
     */
    @Test
    void stopAndResetFromAnotherThreadDuringFire() throws Exception {
        CountDownLatch inFire = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        T t = new T("t");
        t.onFire = x -> {
            if (x.fires == 1) {
                inFire.countDown();
                await(release);
            }
        };
        q.schedule(t, T0 + MS);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread owner = runOnOwnerThread(T0 + MS, failure);
        assertTrue(inFire.await(10, TimeUnit.SECONDS));
        assertFalse(q.cancel(t), "firing: too late to stop");
        assertFalse(q.reset(t, T0 + 5 * MS), "firing is not pending");
        assertTrue(t.isPending(), "re-armed");
        release.countDown();
        owner.join(10_000);
        assertFalse(owner.isAlive());
        assertNull(failure.get());
        assertTrue(t.isPending(), "FIRING -> FIRED must not clobber the new arming");
        assertEquals(1, run(T0 + 5 * MS));
        assertEquals(2, t.fires);
        assertFalse(t.isPending());
    }

    @Test
    void aPeriodicRearmSkipsMissedPeriodsAndIsOnlyAllowedInsideItsOwnFire() {
        T ticker = new T("ticker");
        List<Boolean> rearmed = new ArrayList<>();
        ticker.onFire = t -> rearmed.add(q.rearm(t, 10 * MS));
        q.scheduleLocal(ticker, T0 + 10 * MS);
        assertEquals(1, run(T0 + 10 * MS));
        assertEquals(0, run(T0 + 19 * MS), "next period: T0 + 20 ms");
        assertEquals(1, run(T0 + 45 * MS), "late: fires once, not once per missed period");
        assertEquals(0, run(T0 + 49 * MS), "re-armed at T0 + 50 ms, the next multiple after now");
        assertEquals(1, run(T0 + 50 * MS));
        assertEquals(List.of(true, true, true), rearmed);
        assertTrue(ticker.isPending());
        assertThrows(IllegalStateException.class, () -> q.rearm(ticker, 10 * MS), "outside fire()");
        T other = new T("other");
        other.onFire = t -> assertThrows(IllegalStateException.class, () -> q.rearm(ticker, 10 * MS),
                "inside another timer's fire()");
        q.scheduleLocal(other, T0 + 55 * MS);
        assertEquals(1, run(T0 + 55 * MS));
        ticker.onFire = t -> assertThrows(IllegalArgumentException.class, () -> q.rearm(t, 0));
        assertEquals(1, run(T0 + 60 * MS));
    }

    /**
     * TimerNode interleaving 8, forced: a stop (cancel) or a reset from another thread while a
     * periodic timer's fire() runs wins over the fire's re-arm. Before this rule a cancel at
     * FIRING did nothing and the fire re-armed after it: a stopped ticker ticked forever.
     */
    @Test
    void aStopOrResetDuringAPeriodicFireWinsOverItsRearm() throws Exception {
        for (boolean stop : new boolean[] {true, false}) {
            CountDownLatch inFire = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<Boolean> rearmed = new ArrayList<>();
            List<Boolean> stillFiring = new ArrayList<>();
            T t = new T(stop ? "stopped" : "reset");
            t.onFire = x -> {
                if (x.fires == 1) {
                    assertTrue(q.stillFiring(x));
                    inFire.countDown();
                    await(release);
                }
                stillFiring.add(q.stillFiring(x));
                rearmed.add(q.rearm(x, 10 * MS));
            };
            long base = now;
            q.schedule(t, base + MS);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread owner = runOnOwnerThread(base + MS, failure);
            assertTrue(inFire.await(10, TimeUnit.SECONDS));
            assertTrue(t.isFiring());
            if (stop) {
                assertFalse(q.cancel(t), "a fire under way is not prevented");
            } else {
                assertFalse(q.reset(t, base + 5 * MS), "firing is not pending");
            }
            release.countDown();
            owner.join(10_000);
            assertFalse(owner.isAlive());
            assertNull(failure.get());
            assertEquals(List.of(false), stillFiring, t.name);
            assertEquals(List.of(false), rearmed, t.name + ": the fire's re-arm must lose");
            if (stop) {
                assertFalse(t.isPending(), "a ticker stopped during its fire stays stopped");
                assertEquals(0, run(base + 100 * MS));
                assertEquals(1, t.fires);
            } else {
                assertTrue(t.isPending());
                assertEquals(0, run(base + 4 * MS));
                assertEquals(1, run(base + 5 * MS), "the reset's deadline, not the fire's next period");
                assertEquals(2, t.fires);
                assertEquals(List.of(false, true), rearmed, "periodic again from the reset's arming");
                assertTrue(q.cancel(t));
            }
        }
    }

    /** Starts a thread "owner" that runs the queue's expired timers at {@code at}; records what it throws. */
    Thread runOnOwnerThread(long at, AtomicReference<Throwable> failure) {
        Thread owner = new Thread(() -> {
            try {
                run(at);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "owner");
        owner.start();
        return owner;
    }

    static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(10, TimeUnit.SECONDS), "latch timed out");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
