package net.gatehouse.smtp.client;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import net.gatehouse.smtp.protocol.Reply;

/**
 * The service extensions a server listed in its EHLO reply (RFC 5321 4.1.1.1): upper-case keyword
 * to its parameters, "" when none. Keywords are matched without regard to case, as the RFC has it;
 * a server that was greeted with HELO, or whose keywords were forgotten after STARTTLS (RFC 3207
 * 4.2), has {@link #NONE}.
 */
record EhloKeywords(Map<String, String> keywords) {

    static final EhloKeywords NONE = new EhloKeywords(Map.of());

    EhloKeywords {
        keywords = Map.copyOf(keywords);
    }

    /** The keywords of a successful EHLO reply; its first line is the greeting, not a keyword. */
    static EhloKeywords of(Reply ehlo) {
        Map<String, String> keywords = new HashMap<>();
        for (String line : ehlo.lines().subList(1, ehlo.lines().size())) {
            String[] keywordAndParameters = line.strip().split(" ", 2);
            if (!keywordAndParameters[0].isEmpty()) {
                keywords.put(keywordAndParameters[0].toUpperCase(Locale.ROOT),
                        keywordAndParameters.length > 1 ? keywordAndParameters[1].strip() : "");
            }
        }
        return new EhloKeywords(keywords);
    }

    /** Whether the server listed {@code keyword}: "PIPELINING", "8BITMIME". */
    boolean supports(String keyword) {
        return keywords.containsKey(keyword.toUpperCase(Locale.ROOT));
    }

    /** The server's fixed message size limit (RFC 1870), when it declared one. */
    OptionalLong maxSize() {
        try {
            String size = keywords.get("SIZE");
            long limit = size == null || size.isEmpty() ? 0 : Long.parseLong(size);
            return limit > 0 ? OptionalLong.of(limit) : OptionalLong.empty();   // RFC 1870: 0 means no limit
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
