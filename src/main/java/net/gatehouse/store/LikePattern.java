package net.gatehouse.store;

/**
 * SQL {@code LIKE} patterns built from text typed by an administrator, used with
 * {@code ESCAPE '\'} (the same in SQLite and PostgreSQL), so that {@code %} and {@code _} in the
 * text match themselves.
 */
final class LikePattern {

    static final String ESCAPE_CLAUSE = " ESCAPE '\\'";

    private LikePattern() {
    }

    /** A pattern matching any value that contains {@code text}. */
    static String containing(String text) {
        StringBuilder pattern = new StringBuilder(text.length() + 2).append('%');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' || c == '_' || c == '\\') {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.append('%').toString();
    }
}
