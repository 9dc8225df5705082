/** The netpoller and the Go-style TCP API (Net, Listener, Conn). */
module io.goloom.netpoll {
    requires io.goloom.core;
    requires io.goloom.timers;
    exports io.goloom.netpoll;
}
