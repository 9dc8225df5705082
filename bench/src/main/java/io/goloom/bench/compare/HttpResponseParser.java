package io.goloom.bench.compare;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An incremental HTTP/1.1 response parser for the http workload's load client
 * ({@link HttpLoadClient}): fed whatever bytes a non-blocking read returned, it says when one
 * whole response (status line, headers, body) has been consumed. Allocation-free once built:
 * it keeps the current line in a fixed buffer and matches header names byte by byte.
 *
 * <p>Bodies: {@code Content-Length} or {@code Transfer-Encoding: chunked} (chunk extensions and
 * trailers skipped); 1xx interim responses are skipped; 204 and 304 have no body. A response
 * delimited by closing the connection (neither length nor chunked) cannot be told apart from a
 * lost connection on a keep-alive client, so it is a protocol error, as is any malformed line.
 *
 * <p>State machine, one step per line or per body slice:
 * <pre>
 * STATUS --line--> HEADERS --blank line--> BODY (Content-Length n > 0) --n bytes--> done
 *                     |                 \-> done (n = 0, 204, 304)      (1xx: back to STATUS)
 *                     |                  \-> CHUNK_SIZE --"0"--> TRAILERS --blank line--> done
 *                     |                        |  ^
 *                     |                        v  | CRLF after the data (CHUNK_END)
 *                     |                     CHUNK_DATA
 * </pre>
 * Not thread-safe: one parser per connection, used by the thread that reads it.
 */
final class HttpResponseParser {

    /** A response the parser cannot accept. */
    static final class ProtocolException extends RuntimeException {
        ProtocolException(String message) {
            super(message);
        }
    }

    static final int MAX_LINE = 8 * 1024;

    private static final int STATUS = 0, HEADERS = 1, BODY = 2, CHUNK_SIZE = 3, CHUNK_DATA = 4, CHUNK_END = 5,
            TRAILERS = 6;

    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private int state = STATUS;
    private int status;
    private long contentLength;
    private boolean chunked;
    private boolean close;
    /** Body bytes (or chunk bytes) still to skip in BODY / CHUNK_DATA. */
    private long remaining;
    /** Body bytes of the response being parsed (chunk data for chunked). */
    private long bodyLength;

    /**
     * Consumes bytes of {@code in} up to the end of one response. Returns true when a response
     * is complete ({@code in} is then positioned just after it and {@link #status()},
     * {@link #bodyLength()}, {@link #connectionClose()} describe it; the next call starts a new
     * one), false when {@code in} ran out first (everything was consumed; call again with more).
     *
     * @throws ProtocolException for a malformed or unsupported response
     */
    boolean parse(ByteBuffer in) {
        while (in.hasRemaining()) {
            switch (state) {
                case BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, in.remaining());
                    in.position(in.position() + n);
                    remaining -= n;
                    bodyLength += n;
                    if (remaining == 0) {
                        if (state == BODY) {
                            state = STATUS;
                            return true;
                        }
                        state = CHUNK_END;
                    }
                }
                default -> {
                    if (readLine(in) && lineDone()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The status code of the last complete response. */
    int status() {
        return status;
    }

    /** The body length of the last complete response (for chunked: the sum of the chunks). */
    long bodyLength() {
        return bodyLength;
    }

    /** Whether the last complete response said {@code Connection: close}. */
    boolean connectionClose() {
        return close;
    }

    /** Whether the parser is between responses (nothing of a next one consumed yet). */
    boolean idle() {
        return state == STATUS && lineLength == 0;
    }

    /** Appends bytes to the current line; true when a LF ended it (the line then excludes CR LF). */
    private boolean readLine(ByteBuffer in) {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (b == '\n') {
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return true;
            }
            if (lineLength == MAX_LINE) {
                throw new ProtocolException("a response line longer than " + MAX_LINE + " bytes");
            }
            line[lineLength++] = b;
        }
        return false;
    }

    /** Acts on the complete line in {@link #line}; true when it completed a response. */
    private boolean lineDone() {
        int n = lineLength;
        lineLength = 0;
        switch (state) {
            case STATUS -> {
                // "HTTP/1.1 200 OK" (the reason phrase may be empty or missing)
                if (n < 12 || !startsWith("HTTP/1.", n) || line[8] != ' ' || (n > 12 && line[12] != ' ')) {
                    throw new ProtocolException("bad status line: " + text(n));
                }
                int code = 0;
                for (int i = 9; i < 12; i++) {
                    int d = line[i] - '0';
                    if (d < 0 || d > 9) {
                        throw new ProtocolException("bad status code: " + text(n));
                    }
                    code = code * 10 + d;
                }
                status = code;
                contentLength = -1;
                chunked = false;
                close = false;
                bodyLength = 0;
                state = HEADERS;
            }
            case HEADERS -> {
                if (n > 0) {
                    header(n);
                    return false;
                }
                if (status >= 100 && status < 200) { // interim response: the real one follows
                    state = STATUS;
                    return false;
                }
                if (status == 204 || status == 304 || (!chunked && contentLength == 0)) {
                    state = STATUS;
                    return true;
                }
                if (chunked) {
                    state = CHUNK_SIZE;
                } else if (contentLength > 0) {
                    remaining = contentLength;
                    state = BODY;
                } else {
                    throw new ProtocolException("status " + status + " without Content-Length or chunked encoding"
                            + " (a body up to connection close is not supported on keep-alive)");
                }
            }
            case CHUNK_SIZE -> {
                long size = 0;
                int digits = 0;
                for (int i = 0; i < n && line[i] != ';'; i++) {
                    int d = Character.digit(line[i], 16);
                    if (d < 0) {
                        if (line[i] == ' ' || line[i] == '\t') {
                            continue;
                        }
                        throw new ProtocolException("bad chunk size line: " + text(n));
                    }
                    if (++digits > 15) {
                        throw new ProtocolException("chunk size too large: " + text(n));
                    }
                    size = size * 16 + d;
                }
                if (digits == 0) {
                    throw new ProtocolException("bad chunk size line: " + text(n));
                }
                if (size == 0) {
                    state = TRAILERS;
                } else {
                    remaining = size;
                    state = CHUNK_DATA;
                }
            }
            case CHUNK_END -> {
                if (n != 0) {
                    throw new ProtocolException("chunk data not followed by CRLF: " + text(n));
                }
                state = CHUNK_SIZE;
            }
            case TRAILERS -> {
                if (n == 0) {
                    state = STATUS;
                    return true;
                }
            }
            default -> throw new IllegalStateException("parser state " + state);
        }
        return false;
    }

    /** One header line of {@code n} bytes: picks out the three headers that frame the body. */
    private void header(int n) {
        int colon = -1;
        for (int i = 0; i < n; i++) {
            if (line[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon <= 0) {
            throw new ProtocolException("bad header line: " + text(n));
        }
        int from = colon + 1;
        int to = n;
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        if (nameIs("content-length", colon)) {
            if (from == to || to - from > 18) {
                throw new ProtocolException("bad Content-Length: " + text(n));
            }
            long v = 0;
            for (int i = from; i < to; i++) {
                int d = line[i] - '0';
                if (d < 0 || d > 9) {
                    throw new ProtocolException("bad Content-Length: " + text(n));
                }
                v = v * 10 + d;
            }
            if (contentLength >= 0 && contentLength != v) {
                throw new ProtocolException("conflicting Content-Length headers");
            }
            contentLength = v;
        } else if (nameIs("transfer-encoding", colon)) {
            // the last coding decides; "chunked" anywhere else would be invalid anyway
            chunked = to - from >= 7 && equalsIgnoreCase(to - 7, to, "chunked");
        } else if (nameIs("connection", colon)) {
            close = equalsIgnoreCase(from, to, "close");
        }
    }

    private boolean nameIs(String lowerName, int colon) {
        return colon == lowerName.length() && equalsIgnoreCase(0, colon, lowerName);
    }

    /** Whether line[from, to) equals {@code lower} (ASCII lower case) ignoring ASCII case. */
    private boolean equalsIgnoreCase(int from, int to, String lower) {
        if (to - from != lower.length()) {
            return false;
        }
        for (int i = from; i < to; i++) {
            int b = line[i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lower.charAt(i - from)) {
                return false;
            }
        }
        return true;
    }

    private boolean startsWith(String prefix, int n) {
        if (n < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String text(int n) {
        return "'" + new String(line, 0, Math.min(n, 200), StandardCharsets.ISO_8859_1) + "'";
    }
}
