package io.goloom.scheduler;

import java.util.List;

/**
 * A snapshot of one JDK virtual thread running on a goloom runtime, as
 * {@link GoRuntime#virtualThreadDump()} shows it.
 *
 * @param threadId the thread's id ({@link Thread#threadId()})
 * @param name     its name ("" when unnamed, the JDK's default for virtual threads)
 * @param state    its state when the stack was taken
 * @param stack    its stack ({@link Thread#getStackTrace()}; empty if it had not started running)
 */
public record VirtualThreadInfo(long threadId, String name, Thread.State state, List<StackTraceElement> stack) {

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("virtual thread #").append(threadId);
        if (!name.isEmpty()) {
            sb.append(" \"").append(name).append('"');
        }
        sb.append(" [").append(state).append("]:");
        for (StackTraceElement e : stack) {
            sb.append("\n\t").append(e);
        }
        return sb.toString();
    }
}
