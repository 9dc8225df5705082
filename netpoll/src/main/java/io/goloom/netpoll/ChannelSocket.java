package io.goloom.netpoll;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A TCP socket as a JDK NIO channel in non-blocking mode (the Selector backend's {@link Sock}).
 * Portable, and the channel is what a {@link java.nio.channels.Selector} can poll.
 *
 * <p>{@code SocketChannelImpl} takes internal {@code ReentrantLock}s in read, write, accept,
 * connect and close. Each is taken and released inside one non-blocking call that never yields,
 * and {@link NetFd}'s own read and write locks (goroutine mutexes) serialise the calls that could
 * contend on them. The calls go through {@link NioCalls}, whose frames the JIT never inlines
 * into a goroutine's: inlined, a lock could record the carrier of before the goroutine's last
 * migration and its unlock fail. The epoll backend has no such locks at all; it is the default
 * on Linux.
 *
 * <p>A byte array is wrapped once per side and the wrapper reused while the caller passes the
 * same array, so steady-state reads and writes allocate nothing here (NIO copies heap buffers
 * through its own per-thread direct buffer).
 */
final class ChannelSocket extends Sock {

    /** Immutable. A SocketChannel or a ServerSocketChannel, non-blocking. */
    final SelectableChannel ch;
    private final SelectorPoller poller;
    /** A non-blocking connect is in progress: write readiness means OP_CONNECT. Written by the write side. */
    private volatile boolean connecting;
    /** The selection key, set once by SelectorPoller.open. */
    volatile SelectionKey key;
    // ---- read side ----
    private byte[] rArray;
    private ByteBuffer rWrap;
    // ---- write side ----
    private byte[] wArray;
    private ByteBuffer wWrap;

    private ChannelSocket(SelectableChannel ch, SelectorPoller poller, boolean connecting) {
        this.ch = ch;
        this.poller = poller;
        this.connecting = connecting;
    }

    static ChannelSocket listen(SelectorPoller poller, InetSocketAddress local, int backlog) throws IOException {
        ServerSocketChannel ss = ServerSocketChannel.open();
        try {
            ss.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ss.bind(local, backlog);
            ss.configureBlocking(false);
            return new ChannelSocket(ss, poller, false);
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
    }

    static ChannelSocket connect(SelectorPoller poller, InetSocketAddress remote) throws IOException {
        SocketChannel sc = SocketChannel.open();
        try {
            sc.configureBlocking(false);
            boolean done = NioCalls.connect(sc, remote);
            return new ChannelSocket(sc, poller, !done);
        } catch (IOException | RuntimeException e) {
            sc.close();
            throw translate(e);
        }
    }

    /** The interest op that means "readable" for this channel. */
    int readOp() {
        return ch instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
    }

    /** The interest op that means "writable" (or "connected"), 0 for a listener. */
    int writeOp() {
        if (ch instanceof ServerSocketChannel) {
            return 0;
        }
        return connecting ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
    }

    private SocketChannel sc() {
        return (SocketChannel) ch;
    }

    @Override
    int read(byte[] a, int off, int len) throws IOException {
        if (a != rArray) {
            rArray = a;
            rWrap = ByteBuffer.wrap(a);
        }
        rWrap.clear().position(off).limit(off + len);
        return read(rWrap);
    }

    @Override
    int read(ByteBuffer dst) throws IOException {
        int n;
        try {
            n = NioCalls.read(sc(), dst);
        } catch (IOException e) {
            throw translate(e);
        }
        return n == 0 ? AGAIN : n < 0 ? EOF : n;
    }

    @Override
    int write(byte[] a, int off, int len) throws IOException {
        if (a != wArray) {
            wArray = a;
            wWrap = ByteBuffer.wrap(a);
        }
        wWrap.clear().position(off).limit(off + len);
        return write(wWrap);
    }

    @Override
    int write(ByteBuffer src) throws IOException {
        int n;
        try {
            n = NioCalls.write(sc(), src);
        } catch (IOException e) {
            throw translate(e);
        }
        return n == 0 ? AGAIN : n;
    }

    @Override
    Sock accept() throws IOException {
        SocketChannel c = NioCalls.accept((ServerSocketChannel) ch);
        if (c == null) {
            return null;
        }
        try {
            c.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return new ChannelSocket(c, poller, false);
    }

    @Override
    boolean finishConnect() throws IOException {
        boolean done;
        try {
            done = NioCalls.finishConnect(sc());
        } catch (IOException e) {
            throw translate(e);
        }
        if (done && connecting) {
            connecting = false;
            SelectionKey k = key;
            if (k != null) {
                try {
                    k.interestOpsAnd(~SelectionKey.OP_CONNECT);
                } catch (java.nio.channels.CancelledKeyException ignored) {
                    // closing
                }
            }
        }
        return done;
    }

    @Override
    void shutdownOutput() throws IOException {
        NioCalls.shutdownOutput(sc());
    }

    @Override
    void setNoDelay(boolean on) throws IOException {
        sc().setOption(StandardSocketOptions.TCP_NODELAY, on);
    }

    @Override
    InetSocketAddress localAddress() throws IOException {
        return ch instanceof ServerSocketChannel ss ? (InetSocketAddress) ss.getLocalAddress()
                : (InetSocketAddress) sc().getLocalAddress();
    }

    @Override
    InetSocketAddress remoteAddress() throws IOException {
        return (InetSocketAddress) sc().getRemoteAddress();
    }

    @Override
    void close() {
        try {
            NioCalls.close(ch);
        } catch (IOException ignored) {
            // nothing left to do: the channel is closed either way
        }
        // The key was cancelled by the poller's close(); the channel's fd is released when a
        // select flushes the cancelled key. Make that happen now rather than at some later poll.
        poller.flush();
    }

    @Override
    public String toString() {
        return ch.toString();
    }

    /** JDK messages to goloom's typed exceptions (a reset peer, a broken pipe). */
    static IOException translate(IOException e) {
        if (e instanceof SocketException && !(e instanceof java.net.ConnectException)) {
            String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (m.contains("reset")) {
                ConnectionResetException r = new ConnectionResetException("connection reset by peer");
                r.initCause(e);
                return r;
            }
            if (m.contains("broken pipe")) {
                ConnectionResetException r = new ConnectionResetException("broken pipe: the peer closed the connection");
                r.initCause(e);
                return r;
            }
        }
        if (e.getClass() == IOException.class) {
            String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (m.contains("reset") || m.contains("broken pipe")) {
                ConnectionResetException r = new ConnectionResetException(m.contains("reset")
                        ? "connection reset by peer" : "broken pipe: the peer closed the connection");
                r.initCause(e);
                return r;
            }
        }
        return e;
    }

    private static IOException translate(Exception e) {
        if (e instanceof IOException io) {
            return translate(io);
        }
        throw (RuntimeException) e;
    }
}
