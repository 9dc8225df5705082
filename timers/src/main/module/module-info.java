/**
 * The timing wheel. Internal to goloom: exported only to the modules that arm and run timers
 * (the scheduler's Timer and Ticker are the users' timers).
 */
module io.goloom.timers {
    exports io.goloom.timers to io.goloom.core, io.goloom.netpoll, io.goloom.scheduler;
}
