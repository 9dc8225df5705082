package io.goloom.bench.examples;

import io.goloom.netpoll.Conn;
import io.goloom.netpoll.ConnectionResetException;
import io.goloom.netpoll.Listener;
import io.goloom.netpoll.Net;
import io.goloom.netpoll.NetClosedException;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.io.IOException;

/**
 * {@code ./goloom example echo-server --port P [--host H] [--procs N]}: a TCP echo server on
 * goloom's netpoller, one goroutine per connection, written as in Go:
 *
 * <pre>{@code
 * for {
 *     c := ln.Accept()
 *     go func() { io.Copy(c, c); c.Close() }()
 * }
 * }</pre>
 *
 * Runs until the process is killed. Pair it with {@code ./goloom example echo-client}.
 */
public final class EchoServer {
    private EchoServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = -1;
        String host = "0.0.0.0";
        int procs = Runtime.getRuntime().availableProcessors();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--port" -> port = Integer.parseInt(args[++i]);
                    case "--host" -> host = args[++i];
                    case "--procs" -> procs = Integer.parseInt(args[++i]);
                    case "-h", "--help" -> {
                        usage();
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (port < 0 || port > 65535 || procs < 1) {
                throw new IllegalArgumentException("need --port 0..65535 (and --procs >= 1)");
            }
        } catch (RuntimeException e) {
            System.err.println("echo-server: " + e.getMessage());
            usage();
            System.exit(2);
        }
        Listener ln = Net.listen(host, port);
        System.out.println("goloom echo server listening on " + ln.address() + " (netpoll " + Net.backend()
                + ", GOMAXPROCS " + procs + ", one goroutine per connection)");
        try (GoRuntime rt = GoRuntime.builder().procs(procs).name("echo-server").deadlockDetection(false).build()) {
            rt.run(() -> serve(ln));
        }
    }

    private static void usage() {
        System.err.println("usage: ./goloom example echo-server --port P [--host H (default 0.0.0.0)] [--procs N]");
    }

    /**
     * Accepts until {@code ln} is closed, echoing every connection in its own goroutine. Call
     * from a goroutine. Returns when the listener is closed.
     */
    public static void serve(Listener ln) {
        for (;;) {
            Conn c;
            try {
                c = ln.accept();
            } catch (NetClosedException closed) {
                return;
            } catch (IOException e) {
                System.err.println("echo-server: accept: " + e);
                continue; // e.g. too many open files: keep serving the others
            }
            Go.go(() -> echo(c));
        }
    }

    /** Copies everything read from {@code c} back to it until end of stream, then closes it. */
    static void echo(Conn c) {
        byte[] buf = new byte[16 * 1024];
        try (c) {
            for (int n; (n = c.read(buf)) > 0; ) {
                c.write(buf, 0, n);
            }
        } catch (ConnectionResetException | NetClosedException gone) {
            // the client went away: nothing to report
        } catch (IOException e) {
            System.err.println("echo-server: " + e);
        }
    }
}
