package dev.scalekernel.api;

/**
 * Something a backend allocated and still owns (device or off-heap memory). {@link #close()} is
 * idempotent and frees the memory at once; the backend frees what is still open, newest first,
 * when it is closed itself. Nothing relies on the garbage collector.
 */
public abstract class Allocation implements AutoCloseable {
    private final AbstractBackend owner;
    private boolean closed;

    protected Allocation(AbstractBackend owner) {
        this.owner = owner;
    }

    /** The backend that owns this allocation; only it accepts it as an operand. */
    public final Backend backend() {
        return owner;
    }

    final AbstractBackend owner() {
        return owner;
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Frees this allocation. Calling it again does nothing. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            owner.released(this);
            free();
        }
    }

    /** Releases the memory; called exactly once. */
    protected abstract void free();

    /** A short description for messages, e.g. "f32 matrix 3x4". */
    public abstract String describe();
}
