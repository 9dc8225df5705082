package io.goloom.bench.compare;

/** The unit of a workload's headline number, and which direction is better. */
public enum Metric {
    NS_PER_OP("ns/op", true),
    OPS_PER_S("ops/s", false),
    MS("ms", true),
    BYTES("bytes", true);

    private final String unit;
    private final boolean lowerIsBetter;

    Metric(String unit, boolean lowerIsBetter) {
        this.unit = unit;
        this.lowerIsBetter = lowerIsBetter;
    }

    /** The unit as summary.json writes it. */
    public String unit() {
        return unit;
    }

    public boolean lowerIsBetter() {
        return lowerIsBetter;
    }

    @Override
    public String toString() {
        return unit;
    }
}
