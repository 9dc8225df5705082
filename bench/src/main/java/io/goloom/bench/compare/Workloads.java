package io.goloom.bench.compare;

import java.util.ArrayList;
import java.util.List;

/** The registry: every workload of {@code compare}, in report order. Add a workload here. */
public final class Workloads {
    private Workloads() {
    }

    /** In the order they run and are reported. */
    public static final List<Workload> ALL = List.of(
            new YieldWorkload(),
            new ChanPingPongWorkload(),
            new SpawnWorkload(),
            new SpawnTreeWorkload(),
            new SleepLatenessWorkload(),
            new SleepLatenessWorkload("sleep-lateness-10k", 10_000, 5_000),
            new ParkUnparkWorkload(),
            new MemoryWorkload(),
            new FairnessWorkload(),
            new EchoWorkload(),
            new HttpWorkload());

    /** The workload called {@code name}, or null. */
    public static Workload byName(String name) {
        for (Workload w : ALL) {
            if (w.name().equals(name)) {
                return w;
            }
        }
        return null;
    }

    /** All names, in registry order. */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        for (Workload w : ALL) {
            out.add(w.name());
        }
        return out;
    }
}
