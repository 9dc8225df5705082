package example.apps;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * Jetty 12 with {@link VirtualThreadPool} as the server's thread pool (acceptors, selectors and
 * handlers all run in virtual threads, started by the platform {@code main} thread), the way
 * Jetty's documentation sets it up; {@code main} returns after {@code server.start()} and the
 * pool's non-daemon keep-alive thread keeps the JVM serving.
 * Usage: {@code JettyApp [port]} (default 0: any free port, printed on stdout).
 */
public final class JettyApp {

    private JettyApp() {
    }

    public static void main(String[] args) throws Exception {
        Replies.mainStarted();
        Server server = new Server(new VirtualThreadPool());
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(args.length > 0 ? Integer.parseInt(args[0]) : 0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                switch (path) {
                    case "/threads" -> reply(response, "text/plain", Replies.threads(), callback);
                    case "/stop" -> reply(response, "text/plain", "stopping".getBytes(StandardCharsets.US_ASCII),
                            Callback.from(callback, Replies::exitSoon));
                    default -> reply(response, "application/json", Replies.hello("jetty", request.getHttpURI().getQuery()), callback);
                }
                return true;
            }
        });
        server.start();
        Replies.mainReturning(connector.getLocalPort());
    }

    private static void reply(Response response, String type, byte[] body, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
