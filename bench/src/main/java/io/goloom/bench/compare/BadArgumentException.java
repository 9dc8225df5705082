package io.goloom.bench.compare;

/** A bad command line for {@code compare}: the message says what is wrong. Exit code 2. */
public final class BadArgumentException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadArgumentException(String message) {
        super(message);
    }
}
