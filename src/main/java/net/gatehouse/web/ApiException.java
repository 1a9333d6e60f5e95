package net.gatehouse.web;

import io.javalin.http.HttpStatus;
import net.gatehouse.admin.Refusal;

/** A request that cannot be served as asked: answered with the status and the message (JSON on the API). */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final transient HttpStatus status;

    public ApiException(HttpStatus status, String message) {
        super(message);
        this.status = status;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(HttpStatus.NOT_FOUND, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(HttpStatus.CONFLICT, message);
    }

    /** A change the administration refused, with the status that says why. */
    public static ApiException of(Refusal refusal) {
        HttpStatus status = switch (refusal.kind()) {
            case INVALID -> HttpStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
            case CONFLICT, CONCURRENT -> HttpStatus.CONFLICT;
            case FORBIDDEN -> HttpStatus.FORBIDDEN;
        };
        return new ApiException(status, refusal.getMessage());
    }

    public HttpStatus status() {
        return status;
    }
}
