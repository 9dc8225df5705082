package io.goloom.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hook's contract: one read when idle, the handler only while requests != 0, none registered is fine. */
class YieldPointTest {

    @AfterEach
    void restore() {
        YieldPoint.requests = 0;
        YieldPoint.handler = null;
    }

    @Test
    void handlerRunsOnlyWhileARequestIsPending() {
        AtomicInteger calls = new AtomicInteger();
        YieldPoint.handler = calls::incrementAndGet;
        YieldPoint.check();
        assertEquals(0, calls.get());
        YieldPoint.requests = 2;
        YieldPoint.check();
        YieldPoint.check();
        assertEquals(2, calls.get());
        YieldPoint.requests = 0;
        YieldPoint.check();
        assertEquals(2, calls.get());
    }

    /** A native goroutine's request (requests only) never sends checkVirtual() to its slow path. */
    @Test
    void checkVirtualRunsItsHandlerOnlyWhileAVirtualThreadIsAsked() {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger virtualCalls = new AtomicInteger();
        YieldPoint.handler = calls::incrementAndGet;
        YieldPoint.virtualHandler = virtualCalls::incrementAndGet;
        try {
            YieldPoint.requests = 1; // a goroutine is asked
            YieldPoint.checkVirtual();
            assertEquals(0, virtualCalls.get());
            YieldPoint.virtualRequests = 1; // and a virtual thread
            YieldPoint.requests = 2;
            YieldPoint.checkVirtual();
            assertEquals(1, virtualCalls.get());
            assertEquals(0, calls.get(), "checkVirtual() never calls the goroutine handler");
        } finally {
            YieldPoint.virtualRequests = 0;
            YieldPoint.virtualHandler = null;
        }
    }

    @Test
    void withoutAHandlerCheckDoesNothing() {
        YieldPoint.requests = 1;
        YieldPoint.check(); // no NPE, no effect
    }

    @Test
    void theRuntimeCanRegisterReflectively() throws Exception {
        Class<?> yp = Class.forName("io.goloom.agent.YieldPoint");
        Field handler = yp.getField("handler");
        Field requests = yp.getField("requests");
        for (Field f : new Field[] {handler, requests}) {
            int mod = f.getModifiers();
            assertEquals(Modifier.PUBLIC | Modifier.STATIC | Modifier.VOLATILE, mod, f.getName());
        }
        AtomicInteger calls = new AtomicInteger();
        handler.set(null, (Runnable) calls::incrementAndGet);
        requests.setInt(null, 1);
        YieldPoint.check();
        assertEquals(1, calls.get());
        assertEquals(void.class, yp.getMethod("check").getReturnType());
    }

    @Test
    void requestsCanBeUpdatedAtomicallyWithoutACompileTimeDependency() throws Exception {
        Class<?> yp = Class.forName("io.goloom.agent.YieldPoint");
        VarHandle requests = MethodHandles.publicLookup().findStaticVarHandle(yp, "requests", int.class);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    requests.getAndAdd(1);
                    requests.getAndAdd(-1);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, YieldPoint.requests);
        requests.getAndAdd(1);
        assertEquals(1, YieldPoint.requests);
    }
}
