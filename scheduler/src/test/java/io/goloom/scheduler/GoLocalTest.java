package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.GoLocal;
import io.goloom.core.WaitGroup;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GoLocal: a value per goroutine that follows it across carriers and yield points, where a
 * ThreadLocal would be the carrier's; inherited by go() when asked; a ThreadLocal elsewhere.
 */
@Timeout(60)
class GoLocalTest {

    /**
     * Two goroutines on ONE carrier (procs=1) take turns through an unbuffered channel: each
     * sets its own value, hands over, and reads it back after the other ran on the same
     * carrier. A ThreadLocal there reads the other goroutine's value (shown first).
     */
    @Test
    void eachGoroutineKeepsItsOwnValueAcrossYieldsOnASharedCarrier() throws Exception {
        GoLocal<String> local = GoLocal.create();
        ThreadLocal<String> carrierLocal = new ThreadLocal<>();
        AtomicInteger carrierLocalWrong = new AtomicInteger();
        AtomicInteger goLocalWrong = new AtomicInteger();
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                Chan<Integer> ping = new Chan<>();
                Chan<Integer> pong = new Chan<>();
                WaitGroup wg = new WaitGroup();
                wg.add(2);
                Go.go(() -> {
                    for (int i = 0; i < 1000; i++) {
                        local.set("a" + i);
                        carrierLocal.set("a" + i);
                        ping.send(i);
                        pong.receive();
                        if (!("a" + i).equals(local.get())) {
                            goLocalWrong.incrementAndGet();
                        }
                        if (!("a" + i).equals(carrierLocal.get())) {
                            carrierLocalWrong.incrementAndGet();
                        }
                    }
                    wg.done();
                });
                Go.go(() -> {
                    for (int i = 0; i < 1000; i++) {
                        ping.receive();
                        local.set("b" + i);
                        carrierLocal.set("b" + i);
                        pong.send(i);
                    }
                    wg.done();
                });
                wg.await();
            });
        }
        assertTrue(carrierLocalWrong.get() > 0, "a ThreadLocal is the carrier's: the other goroutine's value");
        assertEquals(0, goLocalWrong.get());
    }

    @Test
    void inheritableValuesReachChildrenAndPlainOnesDoNot() throws Exception {
        GoLocal<String> inherited = GoLocal.inheritable(() -> "default");
        GoLocal<String> plain = GoLocal.withInitial(() -> "fresh");
        ConcurrentHashMap<String, String> seen = new ConcurrentHashMap<>();
        try (GoRuntime rt = GoRuntime.create(2)) {
            rt.run(() -> {
                assertEquals("default", inherited.get());
                inherited.set("request-7");
                plain.set("mine");
                WaitGroup wg = new WaitGroup();
                wg.add(1);
                Go.go(() -> {
                    seen.put("child inherited", inherited.get());
                    seen.put("child plain", plain.get());
                    inherited.set("child's own");
                    wg.add(1);
                    Go.go(() -> {
                        seen.put("grandchild inherited", inherited.get());
                        wg.done();
                    });
                    wg.done();
                });
                wg.await();
                seen.put("parent after", inherited.get());
                inherited.set(null);
                assertNull(inherited.get(), "an explicit null is a value");
                inherited.remove();
                assertEquals("default", inherited.get());
            });
        }
        assertEquals("request-7", seen.get("child inherited"));
        assertEquals("fresh", seen.get("child plain"));
        assertEquals("child's own", seen.get("grandchild inherited"));
        assertEquals("request-7", seen.get("parent after"), "a child's set does not reach its parent");
    }

    @Test
    void outsideGoroutinesItIsAThreadLocal() throws Exception {
        GoLocal<Integer> local = GoLocal.inheritable(() -> 0);
        local.set(5);
        assertEquals(5, local.get());
        int[] inThread = new int[2];
        Thread t = Thread.ofPlatform().start(() -> inThread[0] = local.get());
        t.join();
        Thread v = Thread.ofVirtual().start(() -> {
            local.set(9);
            inThread[1] = local.get();
        });
        v.join();
        assertEquals(5, inThread[0], "inherited by a thread started here, as an InheritableThreadLocal");
        assertEquals(9, inThread[1]);
        assertEquals(5, local.get());
        local.remove();
        assertEquals(0, local.get());
        assertTrue(local.toString().startsWith("GoLocal[slot "));
    }
}
