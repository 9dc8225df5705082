package io.goloom.core;

/**
 * Why a goroutine is parked, shown in goroutine dumps and deadlock reports (Go's
 * {@code waitReason}). The strings are Go's where Go has one.
 */
public enum WaitReason {
    NONE(""),
    PARK("park"),
    CHAN_SEND("chan send"),
    CHAN_RECEIVE("chan receive"),
    CHAN_SEND_NIL("chan send (nil chan)"),
    CHAN_RECEIVE_NIL("chan receive (nil chan)"),
    SELECT("select"),
    SELECT_NO_CASES("select (no cases)"),
    SLEEP("sleep"),
    SYNC_MUTEX_LOCK("sync.Mutex.Lock"),
    SYNC_RWMUTEX_RLOCK("sync.RWMutex.RLock"),
    SYNC_RWMUTEX_LOCK("sync.RWMutex.Lock"),
    SYNC_WAITGROUP_WAIT("sync.WaitGroup.Wait"),
    SYNC_COND_WAIT("sync.Cond.Wait"),
    SEMACQUIRE("semacquire"),
    /** {@link Semaphore#acquire}: waiting for permits of a counting semaphore. */
    SEMAPHORE_ACQUIRE("semaphore acquire"),
    IO_WAIT("IO wait"),
    JOIN("join"),
    /** {@code Synctest.await}: until every other goroutine of the bubble is durably blocked. */
    SYNCTEST_WAIT("synctest.Wait"),
    PREEMPTED("preempted");

    private final String text;

    WaitReason(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }
}
