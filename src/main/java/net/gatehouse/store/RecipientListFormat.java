package net.gatehouse.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The file format of a valid-list import, read one line at a time: one address per line, or CSV
 * as exported from a directory or a spreadsheet, where the address is the first field that holds
 * an {@code @}. Blank lines and lines starting with {@code #} are skipped; a first line of several
 * fields none of which holds an {@code @} is a header and skipped too. Fields are separated by
 * commas, semicolons (spreadsheets in many locales) or tabs, and may be double-quoted with
 * {@code ""} for a quote (RFC 4180). None of these characters can be in an entry, so the split is
 * never ambiguous. A UTF-8 byte order mark at the start is ignored.
 *
 * <p>Not thread-safe: one instance reads one file.
 */
final class RecipientListFormat {

    private boolean firstLine = true;
    private boolean seenData;

    /**
     * The address on the next line of the file, or empty for a line without one (blank, comment,
     * header).
     *
     * @throws IllegalArgumentException if the line has data but no address
     */
    Optional<String> address(String line) {
        String text = line;
        if (firstLine && text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        firstLine = false;
        text = text.strip();
        if (text.isEmpty() || text.startsWith("#")) {
            return Optional.empty();
        }
        boolean header = !seenData;
        seenData = true;
        if (text.indexOf(',') < 0 && text.indexOf(';') < 0 && text.indexOf('\t') < 0 && text.indexOf('"') < 0) {
            return Optional.of(text); // the plain format: the whole line is the entry
        }
        List<String> fields = fields(text);
        for (String field : fields) {
            if (field.indexOf('@') >= 0) {
                return Optional.of(field.strip());
            }
        }
        if (header && fields.size() > 1) {
            return Optional.empty();
        }
        throw new IllegalArgumentException("no address on this line (expected one address, or CSV with a field "
                + "holding an address): " + ValidRecipientEntry.quote(text));
    }

    private static List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',' || c == ';' || c == '\t') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
