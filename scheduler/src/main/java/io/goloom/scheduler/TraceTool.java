package io.goloom.scheduler;

import io.goloom.core.G;
import java.io.BufferedInputStream;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * {@code ./goloom trace <file> [-o out.json]}: converts a flight-recorder snapshot
 * ({@link ExecTrace#writeTo}) into Chrome trace-event JSON ({@code {"traceEvents":[...]}}),
 * which the Perfetto UI (ui.perfetto.dev, "Open trace file") and chrome://tracing open.
 *
 * <p>Tracks: process 1 holds one track per P ("P0", "P1", ...), process 2 one per M ("M1",
 * ...). Each goroutine run is a complete slice named {@code G<id>} on its P's track and on its
 * M's track ({@code VT} for a virtual-thread task), with args {@code goid}, {@code m} and
 * {@code stop}: how the run ended, the wait reason for a park (Go's {@code chan receive},
 * {@code sleep}, ...), {@code yield}, {@code gosched}, {@code preempted}, {@code exit},
 * {@code handoff (syscall)} when sysmon took the P, {@code running} at the snapshot.
 * Instants on the P tracks: ready, steal, preempt, handoff, timer, netpoll. Timestamps are
 * microseconds (with nanosecond decimals) from the earliest event in the snapshot; one event
 * per line.
 */
public final class TraceTool {

    private TraceTool() {
    }

    public static void main(String[] args) throws IOException {
        Path in = null;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-o") && i + 1 < args.length) {
                out = Path.of(args[++i]);
            } else if (in == null && !args[i].startsWith("-")) {
                in = Path.of(args[i]);
            } else {
                in = null;
                break;
            }
        }
        if (in == null) {
            System.err.println("usage: ./goloom trace <file> [-o out.json]   (file: GoRuntime.trace().writeTo(path))");
            System.exit(2);
            return;
        }
        if (out == null) {
            out = Path.of(in + ".json");
        }
        if (!Files.isRegularFile(in)) {
            System.err.println("goloom trace: no file " + in.toAbsolutePath() + " (write one with GoRuntime.trace().writeTo(path))");
            System.exit(2);
            return;
        }
        int n;
        try (InputStream is = Files.newInputStream(in); Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            n = convert(is, w);
        }
        System.err.println("goloom trace: wrote " + out + " (" + n + " trace events); open it at https://ui.perfetto.dev");
    }

    /** Converts one snapshot; returns the number of trace events written. */
    public static int convert(InputStream is, Writer w0) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(is));
        if (in.readLong() != ExecTrace.MAGIC) {
            throw new IllegalArgumentException("goloom trace: not a goloom flight-recorder file (see GoRuntime.trace().writeTo)");
        }
        int version = in.readInt();
        if (version != ExecTrace.VERSION) {
            throw new IllegalArgumentException("goloom trace: file version " + version + ", this tool reads " + ExecTrace.VERSION);
        }
        String runtime = in.readUTF();
        long end = in.readLong();
        String[] reasons = new String[in.readInt()];
        for (int i = 0; i < reasons.length; i++) {
            reasons[i] = in.readUTF();
        }
        long[][] ps = new long[in.readInt()][];
        long base = end;
        for (int p = 0; p < ps.length; p++) {
            int n = in.readInt();
            long[] ev = new long[n * ExecTrace.EVENT_WORDS];
            for (int i = 0; i < ev.length; i++) {
                ev[i] = in.readLong();
            }
            ps[p] = ev;
            if (n > 0) {
                base = Math.min(base, ev[0]);
            }
        }
        BufferedWriter w = new BufferedWriter(w0);
        Out o = new Out(w, base);
        w.write("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
        o.meta(1, -1, "process_name", "Ps (runtime " + runtime + ")");
        o.meta(2, -1, "process_name", "Ms (carrier threads of " + runtime + ")");
        TreeSet<Integer> ms = new TreeSet<>();
        for (int p = 0; p < ps.length; p++) {
            o.meta(1, p, "thread_name", "P" + p);
        }
        for (int p = 0; p < ps.length; p++) {
            long[] ev = ps[p];
            long openG = -1, openT = 0;
            int openM = -1;
            for (int i = 0; i < ev.length; i += ExecTrace.EVENT_WORDS) {
                long t = ev[i];
                long w1 = ev[i + 1];
                int kind = (int) (w1 >>> 56);
                int m = (int) (w1 >>> 32) & 0xFFFFFF;
                int aux = (int) w1;
                long goid = ev[i + 2];
                long arg = ev[i + 3];
                switch (kind) {
                    case ExecTrace.RUN -> {
                        if (openG >= 0) {
                            o.run(p, openM, openG, openT, t, "unknown (no stop recorded)");
                        }
                        openG = goid;
                        openT = t;
                        openM = m;
                        ms.add(m);
                    }
                    case ExecTrace.STOP -> {
                        if (openG == goid) {
                            o.run(p, openM, openG, openT, t, stopName(aux, (int) arg, reasons));
                        }
                        openG = -1; // a stop without its run (the ring began after the run): dropped
                    }
                    case ExecTrace.HANDOFF -> {
                        String reason = ExecTrace.HANDOFF_REASONS[aux];
                        if (openG >= 0) {
                            o.run(p, openM, openG, openT, t, "handoff (" + reason + ")");
                            openG = -1;
                        }
                        o.instant(p, t, "handoff", "\"reason\":" + Out.str(reason) + ",\"m\":" + m + ",\"goid\":" + goid);
                    }
                    case ExecTrace.READY -> o.instant(p, t, "ready G" + goid,
                            "\"goid\":" + goid + ",\"to\":" + Out.str(ExecTrace.READY_TO[aux]) + ",\"by\":" + arg);
                    case ExecTrace.STEAL -> o.instant(p, t, "steal", "\"victim\":" + aux + ",\"count\":" + arg);
                    case ExecTrace.PREEMPT -> o.instant(p, t, "preempt G" + goid, "\"goid\":" + goid + ",\"latency_ns\":" + arg);
                    case ExecTrace.TIMER -> o.instant(p, t, "timers", "\"fired\":" + aux + ",\"of_p\":" + goid + ",\"lateness_ns\":" + arg);
                    case ExecTrace.NETPOLL -> o.instant(p, t, "netpoll", "\"readied\":" + aux);
                    default -> throw new IllegalArgumentException("goloom trace: unknown event kind " + kind + " on P" + p);
                }
            }
            if (openG >= 0) {
                o.run(p, openM, openG, openT, Math.max(openT, end), "running");
            }
        }
        for (int m : ms) {
            o.meta(2, m, "thread_name", m == 0xFFFFFF ? "sysmon" : "M" + m);
        }
        w.write("\n]}\n");
        w.flush();
        return o.count;
    }

    static String stopName(int how, int reason, String[] reasons) {
        return switch (how) {
            case G.EXEC_DEAD -> "exit";
            case G.EXEC_PARKED -> reason >= 0 && reason < reasons.length ? reasons[reason] : "park";
            case G.EXEC_YIELD -> "yield";
            case G.EXEC_GOSCHED -> "gosched";
            case G.EXEC_PREEMPT -> "preempted";
            default -> "stop " + how;
        };
    }

    /** The JSON writer: one trace event per line. */
    private static final class Out {
        final Writer w;
        final long base;
        int count;

        Out(Writer w, long base) {
            this.w = w;
            this.base = base;
        }

        void next() throws IOException {
            if (count++ > 0) {
                w.write(",\n");
            }
        }

        void meta(int pid, int tid, String what, String name) throws IOException {
            next();
            w.write("{\"name\":\"" + what + "\",\"ph\":\"M\",\"pid\":" + pid + (tid >= 0 ? ",\"tid\":" + tid : "")
                    + ",\"args\":{\"name\":" + str(name) + "}}");
        }

        void run(int p, int m, long goid, long from, long to, String stop) throws IOException {
            String name = goid == 0 ? "VT" : "G" + goid;
            String args = ",\"args\":{\"goid\":" + goid + ",\"p\":" + p + ",\"m\":" + m + ",\"stop\":" + str(stop) + "}}";
            long dur = Math.max(0, to - from);
            next();
            w.write("{\"name\":" + str(name) + ",\"ph\":\"X\",\"pid\":1,\"tid\":" + p + ",\"ts\":" + us(from - base)
                    + ",\"dur\":" + us(dur) + args);
            next();
            w.write("{\"name\":" + str(name) + ",\"ph\":\"X\",\"pid\":2,\"tid\":" + m + ",\"ts\":" + us(from - base)
                    + ",\"dur\":" + us(dur) + args);
        }

        void instant(int p, long t, String name, String args) throws IOException {
            next();
            w.write("{\"name\":" + str(name) + ",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":" + p + ",\"ts\":" + us(t - base)
                    + ",\"args\":{" + args + "}}");
        }

        /** Nanoseconds as microseconds with three decimals, exactly. */
        static String us(long ns) {
            long a = Math.abs(ns);
            String frac = Long.toString(a % 1000);
            return (ns < 0 ? "-" : "") + a / 1000 + "." + "000".substring(frac.length()) + frac;
        }

        /** A JSON string (Dump's escaping). */
        static String str(String s) {
            StringBuilder sb = new StringBuilder(s.length() + 2);
            Dump.str(sb, s);
            return sb.toString();
        }
    }
}
