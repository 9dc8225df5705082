package io.goloom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.goloom.netpoll.Net;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The netpoll suite on this JVM's default backend, which must be epoll on Linux. */
class EpollNetTest extends NetSuite {

    @BeforeAll
    static void onLinux() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"), "epoll is Linux-only");
        assumeTrue(System.getProperty("goloom.netpoll") == null, "the JVM was asked for another backend");
    }

    @Test
    void theBackendIsEpoll() throws Exception {
        assertEquals("epoll", Net.backend());
    }
}
