package io.goloom.core;

/** A lock that can be locked and unlocked (Go's {@code sync.Locker}); used by {@link Cond}. */
public interface Locker {

    void lock();

    void unlock();
}
