package dev.scalekernel.api;

/** The requested backend cannot run here, or does not exist; the message says why. */
public class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }
}
