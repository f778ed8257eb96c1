package dev.recurrent4j.infer;

/**
 * A stream snapshot that cannot be restored: not a snapshot, corrupted (checksum), of an unknown format version, or
 * taken from a model of another architecture or other weights. The message says which, and what was expected.
 */
public final class SnapshotException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    SnapshotException(String message) {
        super(message);
    }

    SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
