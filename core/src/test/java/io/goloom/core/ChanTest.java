package io.goloom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Channel semantics on the deterministic single-thread scheduler, and from plain threads. */
class ChanTest {

    private final TestSched s = new TestSched();
    private final List<String> trace = Collections.synchronizedList(new ArrayList<>());

    @Test
    void negativeCapacityIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Chan<String>(-1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void nullIsNotAValue() {
        Chan<String> c = new Chan<>(1);
        assertThrows(NullPointerException.class, () -> c.send(null));
        assertThrows(NullPointerException.class, () -> c.trySend(null));
    }

    @Test
    void lenAndCap() {
        Chan<Integer> c = new Chan<>(3);
        assertEquals(3, c.cap());
        assertEquals(0, c.len());
        c.send(1);
        c.send(2);
        assertEquals(2, c.len());
        c.receive();
        assertEquals(1, c.len());
        assertEquals(0, new Chan<Integer>().cap());
        c.checkInvariants();
    }

    @Test
    void bufferedIsFifo() {
        Chan<Integer> c = new Chan<>(4);
        s.go(() -> {
            for (int i = 0; i < 10; i++) {
                c.send(i); // blocks when full
                c.checkInvariants();
            }
            c.close();
        });
        List<Integer> got = new ArrayList<>();
        s.go(() -> {
            for (Integer v : c) {
                got.add(v);
                c.checkInvariants();
            }
        });
        s.runUntilIdle();
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), got);
        assertTrue(s.alive().isEmpty());
    }

    @Test
    void unbufferedHandOffRunsTheReceiverNext() {
        Chan<String> c = new Chan<>();
        s.go("receiver", () -> {
            trace.add("recv start");
            String v = c.receive();
            trace.add("recv got " + v);
        });
        s.go("sender", () -> {
            trace.add("send");
            c.send("x"); // the receiver is parked: hand off, ready it into runnext
            trace.add("sent");
            G.current().yieldAs(G.EXEC_YIELD); // the receiver runs before the bystander
            trace.add("sender again");
        });
        s.go("bystander", () -> trace.add("bystander"));
        s.runUntilIdle();
        assertEquals(List.of("recv start", "send", "sent", "recv got x", "bystander", "sender again"), trace);
    }

    @Test
    void blockedReceiverHasWaitReason() {
        Chan<String> c = new Chan<>();
        G r = s.go(c::receive);
        G w = s.go(() -> c.send("v"));
        s.runUntilIdle();
        assertEquals(G.DEAD, w.status()); // the receiver was waiting: the send did not block
        Chan<String> d = new Chan<>();
        G r2 = s.go(d::receive);
        G w2 = s.go(() -> new Chan<String>().send("never"));
        s.runUntilIdle();
        assertEquals(G.DEAD, r.status());
        assertEquals(G.WAITING, r2.status());
        assertEquals(WaitReason.CHAN_RECEIVE, r2.waitReason());
        assertEquals(G.WAITING, w2.status());
        assertEquals(WaitReason.CHAN_SEND, w2.waitReason());
        d.checkInvariants();
    }

    @Test
    void receiveFromClosedReturnsNullAtOnce() {
        Chan<String> c = new Chan<>(2);
        c.send("a");
        c.close();
        assertEquals("a", c.receive()); // buffered values survive close
        assertNull(c.receive());
        assertEquals(Recv.closed(), c.receiveOk());
        assertFalse(c.receiveOk().ok());
        assertNull(c.tryReceive());
        assertEquals(new Recv<String>(null, false), c.tryReceiveOk());
        c.checkInvariants();

        Chan<String> u = new Chan<>();
        u.close();
        assertNull(u.receive());
        assertFalse(u.receiveOk().ok());
    }

    @Test
    void closeWakesEveryReceiver() {
        Chan<String> c = new Chan<>();
        List<Recv<String>> got = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 3; i++) {
            s.go(() -> got.add(c.receiveOk()));
        }
        s.runUntilIdle();
        assertEquals(3, s.parked().size());
        c.checkInvariants();
        s.go(c::close);
        s.runUntilIdle();
        assertEquals(List.of(Recv.closed(), Recv.closed(), Recv.closed()), got);
        assertTrue(s.alive().isEmpty());
        c.checkInvariants();
    }

    @Test
    void closeMakesWaitingSendersThrow() {
        Chan<String> c = new Chan<>(1);
        c.send("fill");
        List<Throwable> thrown = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 2; i++) {
            s.go(() -> {
                try {
                    c.send("blocked");
                } catch (ChanClosedException e) {
                    thrown.add(e);
                }
            });
        }
        s.runUntilIdle();
        assertEquals(2, s.parked().size());
        c.checkInvariants();
        c.close(); // from the test thread: readies go through the inbox
        s.runUntilIdle();
        assertEquals(2, thrown.size());
        assertEquals("send on closed channel", thrown.get(0).getMessage());
        assertEquals("fill", c.receive());
        assertNull(c.receive());
    }

    @Test
    void sendOnClosedAndDoubleCloseThrow() {
        Chan<String> c = new Chan<>(1);
        c.close();
        ChanClosedException e = assertThrows(ChanClosedException.class, () -> c.send("x"));
        assertEquals("send on closed channel", e.getMessage());
        assertThrows(ChanClosedException.class, () -> c.trySend("x"));
        e = assertThrows(ChanClosedException.class, c::close);
        assertEquals("close of closed channel", e.getMessage());
    }

    @Test
    void receiveFromFullChannelMovesTheWaitingSenderIntoTheTail() {
        Chan<String> c = new Chan<>(2);
        c.send("a");
        c.send("b");
        G sender = s.go(() -> c.send("c"));
        s.runUntilIdle();
        assertEquals(G.WAITING, sender.status());
        c.checkInvariants();
        AtomicReference<String> first = new AtomicReference<>();
        s.go(() -> {
            first.set(c.receive()); // takes "a", moves "c" into the freed tail slot
            c.checkInvariants();
            assertEquals(2, c.len());
        });
        s.runUntilIdle();
        assertEquals("a", first.get());
        assertEquals(G.DEAD, sender.status());
        assertEquals("b", c.receive());
        assertEquals("c", c.receive());
        c.checkInvariants();
    }

    @Test
    void trySendAndTryReceive() {
        Chan<String> c = new Chan<>(1);
        assertNull(c.tryReceive());
        assertNull(c.tryReceiveOk());
        assertTrue(c.trySend("a"));
        assertFalse(c.trySend("b"));
        assertEquals(new Recv<>("a", true), c.tryReceiveOk());
        assertNull(c.tryReceiveOk());

        Chan<String> u = new Chan<>();
        assertFalse(u.trySend("x")); // no receiver waiting
        assertNull(u.tryReceive()); // no sender waiting
        AtomicReference<String> got = new AtomicReference<>();
        s.go(() -> got.set(u.receive()));
        s.runUntilIdle();
        assertTrue(u.trySend("x")); // a receiver is waiting now
        s.runUntilIdle();
        assertEquals("x", got.get());
        G sender = s.go(() -> u.send("y"));
        s.runUntilIdle();
        assertEquals("y", u.tryReceive());
        s.runUntilIdle();
        assertEquals(G.DEAD, sender.status());
        u.checkInvariants();
    }

    @Test
    void forEachUntilClosed() {
        Chan<Integer> c = new Chan<>();
        List<Integer> got = new ArrayList<>();
        s.go(() -> c.forEach(got::add));
        s.go(() -> {
            for (int i = 0; i < 5; i++) {
                c.send(i);
            }
            c.close();
        });
        s.runUntilIdle();
        assertEquals(List.of(0, 1, 2, 3, 4), got);
    }

    @Test
    void plainThreadReceivesFromAGoroutine() throws Exception {
        Chan<String> c = new Chan<>();
        AtomicReference<Object> got = new AtomicReference<>();
        Thread t = new Thread(() -> got.set(c.receive()), "plain-receiver");
        t.start();
        while (c.recvq.peek() == null) { // wait until the thread is queued (it then parks)
            Thread.onSpinWait();
        }
        s.go(() -> c.send("hello"));
        s.runUntilIdle();
        t.join(10_000);
        assertFalse(t.isAlive());
        assertEquals("hello", got.get());
        c.checkInvariants();
    }

    @Test
    void plainThreadSendWakesAGoroutine() throws Exception {
        Chan<String> c = new Chan<>();
        AtomicReference<String> got = new AtomicReference<>();
        G r = s.go(() -> got.set(c.receive()));
        s.runUntilIdle();
        assertEquals(G.WAITING, r.status());
        Thread t = new Thread(() -> c.send("from thread"), "plain-sender");
        t.start();
        s.runUntil(() -> got.get() != null, 10_000);
        t.join(10_000);
        assertEquals("from thread", got.get());
    }

    @Test
    void plainThreadBlocksOnSendUntilAGoroutineReceives() throws Exception {
        Chan<Integer> c = new Chan<>(1);
        Thread t = new Thread(() -> {
            for (int i = 0; i < 3; i++) {
                c.send(i);
            }
            c.close();
        }, "plain-sender");
        t.start();
        List<Integer> got = new ArrayList<>();
        AtomicReference<Boolean> finished = new AtomicReference<>(false);
        s.go(() -> {
            c.forEach(got::add);
            finished.set(true);
        });
        s.runUntil(finished::get, 10_000);
        t.join(10_000);
        assertEquals(List.of(0, 1, 2), got);
    }

    @Test
    void closeWakesAPlainThreadReceiver() throws Exception {
        Chan<String> c = new Chan<>();
        AtomicReference<Recv<String>> got = new AtomicReference<>();
        Thread t = new Thread(() -> got.set(c.receiveOk()));
        t.start();
        while (c.recvq.peek() == null) {
            Thread.onSpinWait();
        }
        c.close();
        t.join(10_000);
        assertSame(Recv.closed(), got.get());
    }

    @Test
    void interruptDoesNotBreakAThreadWait() throws Exception {
        Chan<String> c = new Chan<>();
        AtomicReference<Object> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            String v = c.receive();
            got.set(Thread.currentThread().isInterrupted() ? "interrupted:" + v : v);
        });
        t.start();
        while (c.recvq.peek() == null) {
            Thread.onSpinWait();
        }
        t.interrupt();
        c.send("v");
        t.join(10_000);
        assertEquals("interrupted:v", got.get()); // the value arrived; the status is kept
    }

    @Test
    void panicInGoroutineSurfaces() {
        Chan<String> c = new Chan<>();
        c.close();
        s.go(() -> c.send("boom"));
        ChanClosedException e = assertThrows(ChanClosedException.class, s::runUntilIdle);
        assertNotNull(e.getMessage());
        assertInstanceOf(IllegalStateException.class, e);
    }

    @Test
    void channelOperationsAreYieldPoints() {
        Chan<String> c = new Chan<>(8);
        s.go("a", () -> {
            G.current().requestPreempt(); // as sysmon would ask
            c.trySend("a1"); // yields first, to the back of the queue
            trace.add("a after send");
        });
        s.go("b", () -> trace.add("b"));
        s.runUntilIdle();
        assertEquals(List.of("b", "a after send"), trace);
        assertEquals("a1", c.receive());
    }

    @Test
    void invariantCheckCatchesACorruptChannel() {
        Chan<String> c = new Chan<>(2);
        c.send("a");
        Waiter w = new Waiter();
        c.recvq.enqueue(w); // a receiver queued while a value is buffered: impossible
        IllegalStateException e = assertThrows(IllegalStateException.class, c::checkInvariants);
        assertTrue(e.getMessage().contains("recvq"), e.getMessage());
    }
}
