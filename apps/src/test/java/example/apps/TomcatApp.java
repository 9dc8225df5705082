package example.apps;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * Embedded Tomcat 11 with its connector's {@code useVirtualThreads} (a virtual thread per
 * request, started by Tomcat's platform poller and acceptor threads) and one servlet;
 * {@code main} returns after {@code start()} and Tomcat's non-daemon threads keep the JVM
 * serving. Usage: {@code TomcatApp [port]} (default 0: any free port, printed on stdout).
 */
public final class TomcatApp {

    private TomcatApp() {
    }

    public static void main(String[] args) throws IOException, LifecycleException {
        Replies.mainStarted();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("tomcat-app").toString());
        Connector connector = new Connector();
        connector.setProperty("address", "127.0.0.1");
        connector.setPort(args.length > 0 ? Integer.parseInt(args[0]) : 0);
        connector.setProperty("useVirtualThreads", "true");
        connector.setProperty("maxKeepAliveRequests", "-1"); // Tomcat closes a connection after 100 requests by default
        tomcat.setConnector(connector);
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "app", new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
                switch (req.getRequestURI()) {
                    case "/threads" -> {
                        try {
                            reply(res, "text/plain", Replies.threads());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException(e);
                        }
                    }
                    case "/stop" -> {
                        reply(res, "text/plain", "stopping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        Replies.exitSoon();
                    }
                    default -> reply(res, "application/json", Replies.hello("tomcat", req.getQueryString()));
                }
            }
        });
        ctx.addServletMappingDecoded("/*", "app");
        tomcat.start();
        Replies.mainReturning(connector.getLocalPort());
    }

    private static void reply(HttpServletResponse res, String type, byte[] body) throws IOException {
        res.setContentType(type);
        res.setContentLength(body.length);
        res.getOutputStream().write(body);
    }
}
