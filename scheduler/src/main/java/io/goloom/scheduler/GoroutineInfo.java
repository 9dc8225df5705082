package io.goloom.scheduler;

import java.util.List;

/**
 * A snapshot of one goroutine, as a dump or a close report shows it.
 *
 * @param id         the goroutine id
 * @param name       its label, or null
 * @param state      its status name (runnable, running, waiting, ...)
 * @param waitReason why it waits (Go's wait reason), or "" when not waiting
 * @param stack      its stack when it was not mounted at the time of the snapshot, else empty
 */
public record GoroutineInfo(long id, String name, String state, String waitReason, List<StackTraceElement> stack) {

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("goroutine ").append(id);
        if (name != null) {
            sb.append(" \"").append(name).append('"');
        }
        sb.append(" [").append(state);
        if (!waitReason.isEmpty()) {
            sb.append(", ").append(waitReason);
        }
        sb.append("]:");
        for (StackTraceElement e : stack) {
            sb.append("\n\t").append(e);
        }
        return sb.toString();
    }
}
