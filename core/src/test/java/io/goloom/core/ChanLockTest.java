package io.goloom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ChanLock's contended path: bounded, and not interruptible. */
class ChanLockTest {

    @Test
    @Timeout(60)
    void aLockNeverReleasedFailsItsContendersLoudlyInsteadOfParkingThemForGood() throws Exception {
        ChanLock l = new ChanLock();
        long saved = ChanLock.stuckNanos;
        ChanLock.stuckNanos = TimeUnit.MILLISECONDS.toNanos(200);
        try {
            l.lock(); // its holder "dies" here: nobody will unlock
            CompletableFuture<Throwable> contender = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    l.lock();
                    contender.complete(null);
                } catch (Throwable e) {
                    contender.complete(e);
                }
            });
            t.start();
            Throwable e = contender.get(30, TimeUnit.SECONDS);
            assertTrue(e instanceof IllegalStateException, "contender got " + e);
            assertTrue(e.getMessage().contains("has been held for"), e.getMessage());
            t.join();
        } finally {
            ChanLock.stuckNanos = saved;
        }
    }

    @Test
    @Timeout(60)
    void anInterruptDoesNotBreakTheWaitAndIsKept() throws Exception {
        ChanLock l = new ChanLock();
        l.lock();
        CompletableFuture<Boolean> interruptedAfter = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            l.lock(); // must wait for the holder, not throw or spin on the interrupt
            interruptedAfter.complete(Thread.currentThread().isInterrupted());
            l.unlock();
        });
        t.start();
        // Wait until the contender is parked in the lock's queue (no sleeping).
        while (!l.hasQueuedThreads()) {
            Thread.onSpinWait();
        }
        assertTrue(!interruptedAfter.isDone(), "the contender got the lock while it was held");
        l.unlock();
        assertEquals(Boolean.TRUE, interruptedAfter.get(30, TimeUnit.SECONDS), "the interrupt was lost");
        t.join();
    }

    @Test
    void unlockingAnUnlockedLockIsCaughtWithAssertionsOn() {
        ChanLock l = new ChanLock();
        boolean ea = false;
        assert ea = true;
        if (ea) {
            assertThrows(IllegalStateException.class, l::unlock);
        }
    }
}
