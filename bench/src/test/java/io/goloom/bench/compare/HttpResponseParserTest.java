package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load client's HTTP/1.1 response parsing and its response checks. */
class HttpResponseParserTest {

    private static final String FIXED = "HTTP/1.1 200 OK\r\nDate: Sun, 06 Dec 2026 23:40:00 GMT\r\n"
            + "Content-type: application/json\r\nContent-length: 11\r\n\r\n{\"a\":\"xyz\"}";
    private static final String CHUNKED = "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, CHUNKED\r\n\r\n"
            + "5;ext=1\r\nhello\r\n1A \r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";

    /** Feeds {@code bytes} in slices of {@code step}; returns (status, body length) of each complete response. */
    private static List<long[]> feed(HttpResponseParser p, byte[] bytes, int step) {
        List<long[]> done = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += step) {
            ByteBuffer b = ByteBuffer.wrap(bytes, off, Math.min(step, bytes.length - off));
            while (b.hasRemaining()) {
                if (p.parse(b)) {
                    done.add(new long[] {p.status(), p.bodyLength()});
                }
            }
        }
        return done;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void contentLengthAtEverySplit() {
        byte[] bytes = ascii(FIXED);
        for (int step = 1; step <= bytes.length; step++) {
            HttpResponseParser p = new HttpResponseParser();
            List<long[]> r = feed(p, bytes, step);
            assertEquals(1, r.size(), "step " + step);
            assertEquals(200, r.getFirst()[0]);
            assertEquals(11, r.getFirst()[1]);
            assertFalse(p.connectionClose());
            assertTrue(p.idle(), "step " + step);
        }
    }

    @Test
    void splitAfterEveryByteBoundaryOfTwoResponses() {
        byte[] bytes = ascii(FIXED + CHUNKED);
        for (int cut = 0; cut <= bytes.length; cut++) {
            HttpResponseParser p = new HttpResponseParser();
            List<long[]> r = new ArrayList<>();
            for (ByteBuffer b : List.of(ByteBuffer.wrap(bytes, 0, cut), ByteBuffer.wrap(bytes, cut, bytes.length - cut))) {
                while (b.hasRemaining()) {
                    if (p.parse(b)) {
                        r.add(new long[] {p.status(), p.bodyLength()});
                    }
                }
            }
            assertEquals(2, r.size(), "cut at " + cut);
            assertEquals(11, r.get(0)[1]);
            assertEquals(5 + 26, r.get(1)[1], "chunked body: the chunks' sum");
        }
    }

    @Test
    void parseStopsRightAfterAResponse() {
        HttpResponseParser p = new HttpResponseParser();
        ByteBuffer b = ByteBuffer.wrap(ascii(FIXED + "HTTP/1.1 404"));
        assertTrue(p.parse(b));
        assertEquals(FIXED.length(), b.position(), "positioned just after the first response");
        assertFalse(p.parse(b), "the second is incomplete");
        assertFalse(p.idle());
    }

    @Test
    void interimNoBodyAndCloseResponses() {
        HttpResponseParser p = new HttpResponseParser();
        List<long[]> r = feed(p, ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 304\r\n\r\nHTTP/1.0 500 Oops\r\nCONNECTION: Close\r\nContent-Length: 2\r\n\r\nno"), 7);
        assertEquals(3, r.size(), "the 100 is skipped");
        assertEquals(204, r.get(0)[0]);
        assertEquals(304, r.get(1)[0]);
        assertEquals(500, r.get(2)[0]);
        assertEquals(2, r.get(2)[1]);
        assertTrue(p.connectionClose());
    }

    @Test
    void malformedResponsesAreProtocolErrors() {
        for (String bad : List.of(
                "HTTP/2 200 OK\r\n\r\n",
                "HTTP/1.1 2x0 OK\r\n\r\n",
                "HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "HTTP/1.1 200 OK\r\n\r\n", // no length: body up to close, not on keep-alive
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
                "HTTP/1.1 200 OK\r\nX: " + "y".repeat(HttpResponseParser.MAX_LINE) + "\r\n\r\n")) {
            HttpResponseParser p = new HttpResponseParser();
            assertThrows(HttpResponseParser.ProtocolException.class, () -> feed(p, ascii(bad), 3),
                    () -> "accepted: " + bad.substring(0, Math.min(60, bad.length())));
        }
    }

    @Test
    void clientChecksStatusLengthAndKeepAlive() throws IOException {
        HttpResponseParser p = new HttpResponseParser();
        feed(p, ascii(FIXED), 100);
        HttpLoadClient.check(p, 11);
        HttpLoadClient.check(p, -1);
        assertThrows(IOException.class, () -> HttpLoadClient.check(p, 256));
        feed(p, ascii("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"), 100);
        assertThrows(IOException.class, () -> HttpLoadClient.check(p, -1));
        feed(p, ascii("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), 100);
        assertThrows(IOException.class, () -> HttpLoadClient.check(p, 0));
    }

    @Test
    void clientArgumentsAndRequest() {
        HttpLoadClient.Config c = HttpLoadClient.parse(new String[] {"--port", "8080", "--conns", "50", "--warmup",
                "0.5", "--seconds", "2", "--expect-bytes", "256"});
        assertEquals(new HttpLoadClient.Config("127.0.0.1", 8080, "/json", 50, 1, 500_000_000L, 2_000_000_000L, 256), c);
        assertThrows(IllegalArgumentException.class, () -> HttpLoadClient.parse(new String[] {"--conns", "5"}), "no port");
        assertThrows(IllegalArgumentException.class, () -> HttpLoadClient.parse(new String[] {"--port", "1", "--bogus", "x"}));
        assertThrows(IllegalArgumentException.class, () -> HttpLoadClient.parse(new String[] {"--port"}));
        assertThrows(IllegalArgumentException.class,
                () -> HttpLoadClient.parse(new String[] {"--port", "1", "--conns", "2", "--threads", "3"}));
        assertEquals("GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: application/json\r\n\r\n",
                new String(HttpLoadClient.request("127.0.0.1", 8080, "/json"), StandardCharsets.US_ASCII));
    }

    @Test
    void theClientsHistogramLineRoundTrips() {
        org.HdrHistogram.Histogram h = new org.HdrHistogram.Histogram(3);
        for (long v : new long[] {1_000, 250_000, 250_000, 90_000_000}) {
            h.recordValue(v);
        }
        org.HdrHistogram.Histogram back = HistogramFiles.fromBase64(HistogramFiles.toBase64(h));
        assertEquals(h, back);
        assertEquals(4, back.getTotalCount());
        assertThrows(IllegalArgumentException.class, () -> HistogramFiles.fromBase64("bm90IGEgaGlzdG9ncmFt"));
    }

    @Test
    void theReplyIsJsonOfTheFixedSize() {
        assertEquals(HttpWorkload.BODY_BYTES, HttpWorkload.BODY.length);
        Object parsed = MiniJson.parse(new String(HttpWorkload.BODY, StandardCharsets.US_ASCII));
        assertTrue(parsed instanceof java.util.Map<?, ?> m && m.containsKey("message"), "a JSON object");
        assertThrows(IllegalArgumentException.class, () -> HttpWorkload.body(10));
    }
}
