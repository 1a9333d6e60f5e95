package net.gatehouse.store;

/**
 * The store could not do what was asked: the database is unreachable, a disk is full, a statement
 * failed. The message says what was being done and to which store (never a JDBC URL, which may
 * hold a password), then the database's own words.
 */
public final class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
