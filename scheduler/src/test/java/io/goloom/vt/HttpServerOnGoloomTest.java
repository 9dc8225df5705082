package io.goloom.vt;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import io.goloom.scheduler.GoRuntime;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real JDK application on goloom's carriers: {@code com.sun.net.httpserver.HttpServer} whose
 * exchanges each run in a virtual thread of a GoRuntime(2) serves 10,000 requests from
 * {@code java.net.http.HttpClient} on loopback, 50 in flight at a time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpServerOnGoloomTest {

    static final int REQUESTS = 10_000;
    static final int IN_FLIGHT = 50;

    @Test
    void servesTenThousandRequestsFromVirtualThreadsOnGoloom() throws Exception {
        java.util.Set<String> carriers = ConcurrentHashMap.newKeySet();
        AtomicInteger notVirtual = new AtomicInteger();
        try (GoRuntime rt = GoRuntime.create(2);
             ExecutorService handlers = rt.newVirtualThreadPerTaskExecutor()) {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(handlers);
            server.createContext("/echo", exchange -> {
                Thread self = Thread.currentThread();
                if (!self.isVirtual()) {
                    notVirtual.incrementAndGet();
                }
                String s = self.toString(); // VirtualThread[#id]/runnable@<carrier>
                carriers.add(s.substring(s.lastIndexOf('@') + 1));
                String n = exchange.getRequestURI().getQuery();
                exchange.getRequestBody().readAllBytes();
                byte[] body = ("hello " + n).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            try {
                int port = server.getAddress().getPort();
                List<String> wrong = run(port);
                assertEquals(List.of(), wrong);
            } finally {
                server.stop(0);
            }
        }
        assertEquals(0, notVirtual.get());
        assertFalse(carriers.isEmpty());
        for (String c : carriers) {
            assertTrue(c.startsWith("goloom-") && c.contains("-m"), "a handler ran on " + c);
        }
    }

    /** 10,000 requests from IN_FLIGHT client workers (platform threads); returns the wrong answers. */
    private static List<String> run(int port) throws Exception {
        List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService clientPool = Executors.newFixedThreadPool(IN_FLIGHT);
        ExecutorService clientExecutor = Executors.newFixedThreadPool(4);
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(clientExecutor)
                .connectTimeout(Duration.ofSeconds(30))
                .build()) {
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < IN_FLIGHT; w++) {
                workers.add(clientPool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < REQUESTS; ) {
                        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo?" + i))
                                .timeout(Duration.ofSeconds(60)).GET().build();
                        HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
                        String expected = "hello " + i;
                        if (resp.statusCode() != 200 || !expected.equals(resp.body())) {
                            wrong.add(i + " -> " + resp.statusCode() + " " + resp.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get(100, TimeUnit.SECONDS);
            }
            assertEquals(REQUESTS + IN_FLIGHT, next.get());
        } finally {
            clientPool.shutdownNow();
            clientExecutor.shutdownNow();
        }
        return wrong;
    }
}
