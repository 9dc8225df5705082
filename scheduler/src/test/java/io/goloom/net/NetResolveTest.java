package io.goloom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.goloom.netpoll.Conn;
import io.goloom.netpoll.Listener;
import io.goloom.netpoll.Net;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Host names in {@link Net#dial} and {@link Net#listen} are resolved as blocking calls (Go's cgo
 * resolver runs getaddrinfo as a system call): with one P, a lookup that waits in native code
 * (as getaddrinfo waits for a DNS server) must let sysmon hand the P to another M, so the
 * runtime's other goroutines go on. Here the only thing that ends the lookup is another
 * goroutine of the same single-P runtime ({@link GateResolverProvider}); a lookup that kept
 * its P would wait out the gate's 10 s and fail.
 */
class NetResolveTest {

    @Test
    @Timeout(60)
    void aSlowNameLookupInDialOrListenLendsTheOnlyPToOtherGoroutines() throws Throwable {
        try (Listener ln = Net.listen("127.0.0.1", 0);
                GoRuntime rt = GoRuntime.builder().procs(1).name("resolve-test").build()) {
            int port = ln.address().getPort();
            rt.run(() -> {
                try {
                    try (Conn c = Net.dial(gatedName(), port)) {
                        assertEquals(port, c.remoteAddress().getPort());
                    }
                    try (Listener l2 = Net.listen(gatedName(), 0)) {
                        assertEquals(InetAddress.getLoopbackAddress(), l2.address().getAddress());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } finally {
            GateResolverProvider.gate = null;
            for (GateResolverProvider.Gate g : GATES) {
                g.close();
            }
        }
    }

    private static final java.util.List<GateResolverProvider.Gate> GATES = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * A fresh name under the gated domain (lookups are cached) whose lookup waits for a fresh
     * gate, and a goroutine that opens it: it can run only if the lookup lends the P.
     */
    private static String gatedName() {
        GateResolverProvider.Gate g;
        try {
            g = new GateResolverProvider.Gate();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        GATES.add(g);
        GateResolverProvider.gate = g;
        Go.go(g::open);
        return "h" + System.nanoTime() + GateResolverProvider.DOMAIN;
    }
}
