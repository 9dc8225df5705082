package io.goloom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.goloom.netpoll.Net;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The netpoll suite on the Selector backend. Runs only in a JVM started with
 * {@code -Dgoloom.netpoll=selector}: {@link SelectorNetTest} starts one. (Its name does not
 * match surefire's test patterns; a pattern that does pick it up finds it skipped.)
 */
class SelectorNetSuite extends NetSuite {

    @BeforeAll
    static void onlyOnTheSelectorBackend() throws Exception {
        assumeTrue("selector".equals(System.getProperty("goloom.netpoll")), "needs -Dgoloom.netpoll=selector");
    }

    @Test
    void theBackendIsTheSelector() throws Exception {
        assertEquals("selector", Net.backend());
    }
}
