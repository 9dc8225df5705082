/**
 * Goroutines (G), channels, select and sync primitives, and the Sched SPI. Users see
 * {@code io.goloom.core}; the scheduler-owned fields of a G ({@code io.goloom.core.spi}) are
 * exported to the scheduler and netpoll only.
 */
module io.goloom.core {
    requires io.goloom.timers;
    exports io.goloom.core;
    exports io.goloom.core.spi to io.goloom.netpoll, io.goloom.scheduler;
}
