package io.goloom.apps;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One persistent HTTP/1.1 connection over a plain socket: requests go one after the other on
 * it (keep-alive), so the test knows exactly how many connections the server sees. Small on
 * purpose: GET only, and a reply must carry Content-Length (both apps send one).
 */
final class HttpConn implements AutoCloseable {

    /** A reply: status, headers (lower-case names) and body. */
    record Reply(int status, Map<String, String> headers, String body) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    HttpConn(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(60_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
    }

    /** Sends {@code GET target} and reads the whole reply; the connection stays open. */
    Reply get(String target) throws IOException {
        out.write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].equals("HTTP/1.1")) {
            throw new IOException("not an HTTP/1.1 status line: '" + statusLine + "'");
        }
        Map<String, String> headers = new TreeMap<>();
        for (String h; !(h = line()).isEmpty(); ) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad header line: '" + h + "'");
            }
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        String length = headers.get("content-length");
        if (length == null) {
            throw new IOException("reply to " + target + " without Content-Length: " + statusLine + " " + headers);
        }
        byte[] body = in.readNBytes(Integer.parseInt(length));
        if (body.length != Integer.parseInt(length)) {
            throw new EOFException("connection closed after " + body.length + " of " + length + " body bytes");
        }
        return new Reply(Integer.parseInt(parts[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new EOFException("connection closed by the server");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
