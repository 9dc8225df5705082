package example.apps;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/**
 * The JDK's own HTTP server, one virtual thread per exchange, set up the ordinary way: created
 * and started by the platform {@code main} thread, which then returns. The server's dispatcher
 * is a non-daemon platform thread that creates the virtual threads; it keeps the JVM serving.
 * Usage: {@code HttpServerApp [port]} (default 0: any free port, printed on stdout).
 */
public final class HttpServerApp {

    private HttpServerApp() {
    }

    public static void main(String[] args) throws IOException {
        Replies.mainStarted();
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> reply(ex, "application/json", Replies.hello("httpserver", ex.getRequestURI().getRawQuery())));
        server.createContext("/threads", ex -> {
            try {
                reply(ex, "text/plain", Replies.threads());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        });
        server.createContext("/stop", ex -> {
            reply(ex, "text/plain", "stopping".getBytes());
            Replies.exitSoon();
        });
        server.start();
        Replies.mainReturning(server.getAddress().getPort());
    }

    private static void reply(HttpExchange ex, String type, byte[] body) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
