/**
 * Timers for goloom's scheduler: a hierarchical timing wheel ({@link io.goloom.timers.TimerWheel},
 * single owner), intrusive timer nodes ({@link io.goloom.timers.TimerNode}) and a per-P queue with
 * a lock-free inbox ({@link io.goloom.timers.TimerQueue}). Pure data structures: no dependency
 * beyond the JDK, no threads, no locks. The design essays are on {@code TimerWheel} (levels,
 * time, precision) and {@code TimerQueue} (inbox, wake-up protocol, rejected designs); the timer
 * state machine and its races are on {@code TimerNode}.
 *
 * <h2>Memory-access naming</h2>
 * Accessors encode the access mode in a prefix (JCTools' convention, mapped onto VarHandle
 * modes), and every non-plain access says in a comment what it pairs with:
 * <pre>
 *  lp / sp   plain load / store              (owner-only fields are plain fields instead)
 *  lv / sv   getVolatile / setVolatile
 *  lo        getOpaque: atomic, no ordering  (used where another access supplies the order)
 *  so        setRelease
 *  cas       compareAndSet (volatile)
 *  xchg      getAndSet (volatile)
 * </pre>
 *
 * <h2>Failures</h2>
 * A broken internal invariant throws {@code IllegalStateException} whose message starts with
 * "timers:" and shows the state observed; caller misuse (re-entrant advance or runExpired, adding
 * a linked node, bad geometry) throws {@code IllegalStateException} or
 * {@code IllegalArgumentException} at the API boundary; expected outcomes (a cancel that comes
 * too late, nothing pending) are return values.
 */
package io.goloom.timers;
