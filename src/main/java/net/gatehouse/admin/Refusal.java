package net.gatehouse.admin;

/**
 * A change that was not made, and why: in words for the administrator (the message), and of which
 * kind, for each door to answer in its terms (the console and the API with an HTTP status, the
 * command line with an exit code). Nothing was changed and nothing was audited.
 */
public final class Refusal extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why a change was refused. */
    public enum Kind {
        /** The input is not valid: a malformed name, address, network, value. */
        INVALID,
        /** There is nothing of that name to change. */
        NOT_FOUND,
        /**
         * The change conflicts with the state: the configuration file pins it, it is there already,
         * it would remove the last administrator, the message is being delivered.
         */
        CONFLICT,
        /** The policy changed meanwhile (another node, another administrator): ask again. */
        CONCURRENT,
        /** The actor may not make this change (a viewer acting for another user). */
        FORBIDDEN
    }

    private final transient Kind kind;

    Refusal(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    static Refusal invalid(String message) {
        return new Refusal(Kind.INVALID, message);
    }

    static Refusal notFound(String message) {
        return new Refusal(Kind.NOT_FOUND, message);
    }

    static Refusal conflict(String message) {
        return new Refusal(Kind.CONFLICT, message);
    }

    static Refusal forbidden(String message) {
        return new Refusal(Kind.FORBIDDEN, message);
    }

    public Kind kind() {
        return kind;
    }
}
