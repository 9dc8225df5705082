/** The G/M/P scheduler and the public runtime: GoRuntime, Go, GoExecutorService. */
module io.goloom.scheduler {
    requires transitive io.goloom.core;
    requires io.goloom.timers;
    requires transitive io.goloom.netpoll;
    requires java.instrument;
    requires java.management;
    requires jdk.jfr; // GoEvents: the JFR events
    requires static jdk.attach; // DumpTool only (./goloom dump)
    exports io.goloom.scheduler;
}
