/**
 * goloom's netpoller and Go-style TCP: Go's {@code runtime/netpoll.go} and
 * {@code internal/poll} for goroutines that are JDK continuations.
 *
 * <h2>Goals</h2>
 * <ul>
 *   <li>A goroutine that reads, writes, accepts or connects parks on the socket and its carrier
 *       runs other goroutines; readiness makes it runnable again through the scheduler's run
 *       queues, exactly like a channel wake-up. No selector thread, no thread per connection:
 *       the scheduler's own Ms poll, in findRunnable, in the idle path and in sysmon.</li>
 *   <li>One poller per process, written once against a small platform SPI ({@link
 *       io.goloom.netpoll.Poller}), with edge-triggered epoll through FFM on Linux and a
 *       {@link java.nio.channels.Selector} elsewhere; both pass one test suite.</li>
 *   <li>Go's semantics: {@code read} returns what is there (at least one byte), {@code write}
 *       writes everything, deadlines are absolute and sticky, close wakes blocked calls with an
 *       error, errors are typed. Plain threads may use the same API (they block).</li>
 *   <li>Nothing allocated per read or write on the hot path; no JDK-internal API, so no new JVM
 *       flag ({@code --enable-native-access=ALL-UNNAMED} only silences FFM's warning).</li>
 * </ul>
 *
 * <h2>The pieces (file names follow the structure)</h2>
 * <pre>
 *  Net, Listener, Conn         the API (Go's net.Listen / net.Dial / net.TCPConn)
 *  NetFd                       one socket in use: reference count, close, per-direction locks,
 *                              the try / EAGAIN / wait loops (Go's internal/poll.FD)
 *  PollDesc                    Go's pollDesc: rg/wg semaphores, closing, deadlines + timers
 *  Netpoll                     the process-wide poller state and the scheduler's entry points
 *                              (netpoll.go's platform-independent part)
 *  Poller, Sock                the platform SPI: polling, and the sockets a backend can poll
 *  EpollPoller, EpollSocket,   backend 1: Linux epoll (edge-triggered) + raw non-blocking fds,
 *  Libc                        all through FFM
 *  SelectorPoller,             backend 2: java.nio.channels.Selector + NIO channels, with
 *  ChannelSocket               edge-triggering emulated as Go does on level-triggered systems
 * </pre>
 *
 * <h2>The protocol, end to end</h2>
 * <ol>
 *   <li>A goroutine's {@code conn.read} tries {@code recv(2)}; on EAGAIN it calls
 *       {@code PollDesc.waitFor}: CAS {@code rg} null -> WAIT, re-check closing and the
 *       deadline, park. The park commit (on the M, after the G is WAITING) CASes WAIT -> G,
 *       counts a waiter and arms the deadline timer if there is one.</li>
 *   <li>Readiness arrives. Some thread polls (see {@link io.goloom.netpoll.Netpoll} "Who
 *       polls"): the backend reports the pollDesc, {@code unblock} CASes the G out of rg
 *       (leaving READY), and the poll returns the G in a list; the scheduler readies the list
 *       into its run queues with wakep (Go's injectglist).</li>
 *   <li>The G runs, finds READY consumed, retries {@code recv}. A readiness that arrives before
 *       the park makes the commit's CAS fail and the G resumes at once: no wake-up is lost or
 *       delivered twice.</li>
 *   <li>A deadline timer (in the per-P timer wheel) or {@code close} CASes the G out with
 *       null instead; the G wakes, re-checks, and throws {@link
 *       io.goloom.netpoll.DeadlineExceededException} or {@link
 *       io.goloom.netpoll.NetClosedException}.</li>
 *   <li>Beyond Go (as Tokio/mio): on epoll, a {@code recv} that returned fewer bytes than it
 *       asked for proves the receive queue empty, and every later arrival queues a new edge,
 *       so the connection's next read waits first and skips the {@code recv} that would fail
 *       with EAGAIN: a request/response round trip costs one recv and one send. The peer's FIN
 *       or an error is no new edge, so once the poller reported one (the pollDesc's sticky
 *       {@code readEnded}) reads go back to trying recv first.</li>
 * </ol>
 * While goroutines wait, the runtime's idle M does not park on its note: it takes the
 * process-wide poll token and blocks in the poller, with its runtime's earliest timer as the
 * timeout; an earlier new timer or shutdown breaks the poll (eventfd / {@code Selector.wakeup}).
 * New work does not break it: as in Go, wakep starts another M (the poll-blocked M holds no P).
 *
 * <h2>Plain threads</h2>
 * A plain thread (or a JDK virtual thread, which goloom treats the same way) waits in the same
 * semaphore with itself as the waiter. If nobody holds the poll token it takes it and polls
 * for everyone, never longer than its own deadline; otherwise it parks and whoever polls
 * unparks it. When it stops polling for good it kicks the other candidates (a parked thread,
 * each runtime's wakep), so goroutines left waiting are not stranded. A virtual thread that
 * polls blocks its carrier while it does.
 *
 * <h2>Rejected designs</h2>
 * <ul>
 *   <li><b>A poller thread</b> (the JDK's {@code sun.nio.ch.Poller} read/write poller threads,
 *       Netty's event loops): every readiness becomes a hand-off from the poller thread to a
 *       scheduler thread, and the poller competes with the Ps for cores. Go's answer, taken
 *       here: the M that polls is the M that runs what it found.</li>
 *   <li><b>One-shot registration per wait</b> ({@code EPOLLONESHOT}, as the JDK's
 *       {@code EPollPoller} re-arms on every park): an {@code epoll_ctl} per blocking
 *       operation. Edge-triggered registration once per socket (Go) makes waiting free of
 *       system calls beyond the one that hit EAGAIN.</li>
 *   <li><b>JDK NIO channels under epoll</b>: their fd is only reachable with
 *       {@code --add-exports java.base/sun.nio.ch}, and their read/write paths take
 *       {@code ReentrantLock}s, which goroutine frames must not use (see {@code Carrier}). The
 *       Selector backend does use them, with the caveat documented on {@link
 *       io.goloom.netpoll.ChannelSocket}.</li>
 *   <li><b>A poller per runtime</b>: a socket would belong to the runtime that opened it, and
 *       goroutines of other runtimes (or plain threads) using it would depend on that runtime
 *       staying alive and polling. One process-wide poller, as Go has, readies each goroutine
 *       into its own runtime.</li>
 *   <li><b>Arming a deadline timer at every setDeadline</b> (Go): needs a timer queue even when
 *       nobody will wait, and a plain thread that sets a deadline has no P. Here the clock is
 *       checked when an operation starts, and a timer is armed only when a goroutine actually
 *       parks under a deadline (once per deadline value, reused across parks).</li>
 *   <li><b>Level-triggered epoll</b>: a writable socket is reported on every poll while anyone
 *       polls, so every poll would walk every idle connection.</li>
 * </ul>
 *
 * <h2>Locks</h2>
 * The NetFd read/write mutexes, the PollDesc monitors, Netpoll's INIT and HELPERS monitors
 * and the backends' socket and table monitors; their place in goloom's one lock order is in
 * ARCHITECTURE.md, "Lock order". No G is readied and no thread is unparked under a pollDesc
 * monitor. The backends' system calls never block while a lock of ours is held, except the
 * poll itself, which holds none.
 *
 * <h2>Failures</h2>
 * A broken internal invariant throws {@code IllegalStateException} starting with
 * "goloom: netpoll:" and the state seen (a double wait, a corrupted semaphore, a negative
 * reference count). Caller misuse fails at the API boundary ({@code IndexOutOfBoundsException},
 * a read into a read-only buffer). I/O outcomes are {@link java.io.IOException}s, typed:
 * {@link io.goloom.netpoll.NetClosedException} and {@link
 * io.goloom.netpoll.ConnectionResetException} are permanent for that object,
 * {@link io.goloom.netpoll.DeadlineExceededException} is transient, {@link
 * java.net.ConnectException} means nobody listens; end of stream is a return value (-1).
 */
package io.goloom.netpoll;
