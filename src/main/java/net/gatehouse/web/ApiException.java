package net.gatehouse.web;

import io.javalin.http.HttpStatus;

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

    public HttpStatus status() {
        return status;
    }
}
