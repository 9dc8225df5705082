package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Carrier;
import io.goloom.core.G;
import io.goloom.core.GoLocal;
import io.goloom.core.WaitGroup;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The carrier lookup in JIT-compiled goroutine code that spans a yield and a migration: a
 * lookup after {@code Go.gosched()} must name the carrier the goroutine resumed on, not the one
 * it left. The interleaving to provoke: one compiled frame (the hot loop below, compiled by C2
 * on-stack) holding a lookup made before the yield while the goroutine moves to the other M
 * (gosched sends it to the global queue, which both Ms take from). If the JIT may treat the
 * lookup as loop-invariant or reuse it across the yield call (as it does for
 * {@code Thread.currentThread()}, a load from immutable memory), {@code G.current()} after the
 * yield reads the old M's {@code curg}: another goroutine. Planted ({@code Carrier.current()}
 * inlined but reading {@code Thread.currentThread()}): the scheduler itself parks the wrong
 * goroutine and the run ends in a deadlock report, so this test fails.
 */
@Timeout(120)
class CarrierLookupTest {

    static final int GOROUTINES = 8;
    static final int ROUNDS = 150_000;

    @Test
    void lookupsInCompiledCodeNameTheCarrierAGoroutineResumedOn() throws Exception {
        AtomicLong wrongG = new AtomicLong();
        AtomicLong wrongLocal = new AtomicLong();
        AtomicLong moved = new AtomicLong();
        GoLocal<Object> local = GoLocal.create();
        try (GoRuntime rt = GoRuntime.create(2)) {
            rt.run(() -> {
                WaitGroup wg = new WaitGroup();
                wg.add(GOROUTINES);
                for (int k = 0; k < GOROUTINES; k++) {
                    Go.go(() -> {
                        G self = G.current();
                        Object mine = new Object();
                        local.set(mine);
                        long wrong = 0;
                        long wrongL = 0;
                        long moves = 0;
                        for (int i = 0; i < ROUNDS; i++) {
                            Thread before = Carrier.current();
                            Go.gosched();
                            Thread after = Carrier.current();
                            if (after != before) {
                                moves++;
                            }
                            if (G.current() != self) {
                                wrong++;
                            }
                            if (local.get() != mine) {
                                wrongL++;
                            }
                        }
                        wrongG.addAndGet(wrong);
                        wrongLocal.addAndGet(wrongL);
                        moved.addAndGet(moves);
                        wg.done();
                    });
                }
                wg.await();
            });
        }
        System.out.printf("CarrierLookupTest: %d yields, %d resumed on the other carrier%n",
                (long) GOROUTINES * ROUNDS, moved.get());
        assertEquals(0, wrongG.get(), "G.current() after a migration named another goroutine");
        assertEquals(0, wrongLocal.get(), "GoLocal.get() after a migration read another goroutine's value");
        assertTrue(moved.get() > 0, "no goroutine ever resumed on the other carrier: the interleaving was not provoked");
    }
}
