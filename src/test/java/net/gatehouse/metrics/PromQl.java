package net.gatehouse.metrics;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a PromQL expression reads, as far as a test of a dashboard needs it: the series selectors
 * (metric name and label matchers) and the labels each aggregation groups by, with the metrics it
 * aggregates. Not a full parser: enough to check that every series and label a dashboard queries
 * exists. Grafana's variables ({@code $instance}, {@code $__rate_interval}, {@code ${x}}) may stand
 * where PromQL has a value or a duration.
 *
 * <p>A name followed by {@code (} is a function or an aggregation; a name that is a keyword
 * ({@code by}, {@code on}, {@code offset}, {@code and}...) is not a metric; a number with a unit
 * ({@code 5m}) is a duration; everything inside {@code [...]} is a range or subquery step.
 */
record PromQl(List<Selector> selectors, List<Grouping> groupings) {

    /** {@code metric{label op "value", ...}}. */
    record Selector(String metric, List<Matcher> matchers) {
    }

    /** One label matcher; {@code op} is {@code =}, {@code !=}, {@code =~} or {@code !~}. */
    record Matcher(String label, String op, String value) {
    }

    /** {@code by (labels)} or {@code without (labels)} of an aggregation over the series of {@code metrics}. */
    record Grouping(String aggregation, boolean without, List<String> labels, Set<String> metrics) {
    }

    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar",
            "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "offset", "and", "or", "unless", "atan2", "inf", "nan");
    private static final Set<String> MATCH_OPERATORS = Set.of("=", "!=", "=~", "!~");

    private enum Kind { NAME, NUMBER, STRING, VARIABLE, PUNCTUATION, OPERATOR }

    private record Token(Kind kind, String text) {

        boolean is(String punctuation) {
            return (kind == Kind.PUNCTUATION || kind == Kind.OPERATOR) && text.equals(punctuation);
        }
    }

    /**
     * @throws IllegalArgumentException for what this reader does not understand (an unterminated
     *                                  string or bracket, a selector without a metric name): a dashboard
     *                                  test should fail there rather than check less than it says
     */
    static PromQl parse(String expression) {
        List<Token> tokens = tokens(expression);
        List<Selector> selectors = new ArrayList<>();
        List<Integer> selectorPositions = new ArrayList<>();
        List<int[]> groupingRanges = new ArrayList<>();
        List<Grouping> groupings = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            boolean call = i + 1 < tokens.size() && tokens.get(i + 1).is("(");
            if (token.kind() == Kind.NAME && AGGREGATIONS.contains(token.text())
                    && (call || i + 1 < tokens.size() && isGroupingKeyword(tokens.get(i + 1)))) {
                int next = i + 1;
                List<String> labels = null;
                boolean without = false;
                if (isGroupingKeyword(tokens.get(next))) {
                    without = tokens.get(next).text().equals("without");
                    labels = new ArrayList<>();
                    next = labelList(tokens, next + 1, labels, expression) + 1;
                }
                int argumentEnd = closing(tokens, next, expression);
                if (labels == null && argumentEnd + 1 < tokens.size() && isGroupingKeyword(tokens.get(argumentEnd + 1))) {
                    without = tokens.get(argumentEnd + 1).text().equals("without");
                    labels = new ArrayList<>();
                    labelList(tokens, argumentEnd + 2, labels, expression);
                }
                if (labels != null) {
                    groupings.add(new Grouping(token.text(), without, List.copyOf(labels), Set.of()));
                    groupingRanges.add(new int[] {next, argumentEnd});
                }
            } else if (token.kind() == Kind.NAME && (token.text().equals("on") || token.text().equals("ignoring")
                    || token.text().equals("group_left") || token.text().equals("group_right"))) {
                if (call) {
                    i = closing(tokens, i + 1, expression);
                }
            } else if (token.kind() == Kind.NAME && isGroupingKeyword(token)) {
                i = closing(tokens, i + 1, expression); // a label list, read with its aggregation
            } else if (token.kind() == Kind.NAME && !call && !KEYWORDS.contains(token.text().toLowerCase(Locale.ROOT))) {
                List<Matcher> matchers = new ArrayList<>();
                selectorPositions.add(i);
                if (i + 1 < tokens.size() && tokens.get(i + 1).is("{")) {
                    i = matchers(tokens, i + 2, matchers, expression);
                }
                selectors.add(new Selector(token.text(), List.copyOf(matchers)));
            } else if (token.is("{")) {
                List<Matcher> matchers = new ArrayList<>();
                int start = i;
                i = matchers(tokens, i + 1, matchers, expression);
                String metric = matchers.stream().filter(m -> m.label().equals("__name__") && m.op().equals("="))
                        .map(Matcher::value).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("a selector without a metric name in: " + expression));
                selectorPositions.add(start);
                selectors.add(new Selector(metric, matchers.stream().filter(m -> !m.label().equals("__name__")).toList()));
            }
        }
        List<Grouping> withMetrics = new ArrayList<>();
        for (int g = 0; g < groupings.size(); g++) {
            int[] range = groupingRanges.get(g);
            Set<String> metrics = new LinkedHashSet<>();
            for (int s = 0; s < selectors.size(); s++) {
                int position = selectorPositions.get(s);
                if (position > range[0] && position < range[1]) {
                    metrics.add(selectors.get(s).metric());
                }
            }
            Grouping grouping = groupings.get(g);
            withMetrics.add(new Grouping(grouping.aggregation(), grouping.without(), grouping.labels(), Set.copyOf(metrics)));
        }
        return new PromQl(List.copyOf(selectors), List.copyOf(withMetrics));
    }

    /** The metric names the expression reads. */
    Set<String> metrics() {
        Set<String> metrics = new LinkedHashSet<>();
        selectors.forEach(selector -> metrics.add(selector.metric()));
        return metrics;
    }

    private static boolean isGroupingKeyword(Token token) {
        return token.kind() == Kind.NAME && (token.text().equals("by") || token.text().equals("without"));
    }

    /** Reads {@code ( name, name )} from {@code open}; returns the index of its {@code )}. */
    private static int labelList(List<Token> tokens, int open, List<String> labels, String expression) {
        if (open >= tokens.size() || !tokens.get(open).is("(")) {
            throw new IllegalArgumentException("a label list must follow by/without in: " + expression);
        }
        int i = open + 1;
        for (; i < tokens.size() && !tokens.get(i).is(")"); i++) {
            Token token = tokens.get(i);
            if (token.kind() == Kind.NAME) {
                labels.add(token.text());
            } else if (!token.is(",")) {
                throw new IllegalArgumentException("unexpected " + token.text() + " in a label list of: " + expression);
            }
        }
        if (i >= tokens.size()) {
            throw new IllegalArgumentException("unclosed label list in: " + expression);
        }
        return i;
    }

    /** Reads matchers from just after a {@code {}; returns the index of its {@code }}. */
    private static int matchers(List<Token> tokens, int start, List<Matcher> matchers, String expression) {
        int i = start;
        while (i < tokens.size() && !tokens.get(i).is("}")) {
            if (tokens.get(i).is(",")) {
                i++;
                continue;
            }
            if (i + 2 >= tokens.size() || tokens.get(i).kind() != Kind.NAME
                    || !MATCH_OPERATORS.contains(tokens.get(i + 1).text()) || tokens.get(i + 2).kind() != Kind.STRING) {
                throw new IllegalArgumentException("cannot read the label matchers of: " + expression);
            }
            matchers.add(new Matcher(tokens.get(i).text(), tokens.get(i + 1).text(), tokens.get(i + 2).text()));
            i += 3;
        }
        if (i >= tokens.size()) {
            throw new IllegalArgumentException("unclosed { in: " + expression);
        }
        return i;
    }

    /** The index of the {@code )} that closes the {@code (} at {@code open}. */
    private static int closing(List<Token> tokens, int open, String expression) {
        if (open >= tokens.size() || !tokens.get(open).is("(")) {
            throw new IllegalArgumentException("expected ( at token " + open + " of: " + expression);
        }
        int depth = 0;
        for (int i = open; i < tokens.size(); i++) {
            if (tokens.get(i).is("(")) {
                depth++;
            } else if (tokens.get(i).is(")") && --depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("unbalanced ( in: " + expression);
    }

    private static List<Token> tokens(String expression) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int length = expression.length();
        while (i < length) {
            char c = expression.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') { // a comment, to the end of the line
                while (i < length && expression.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '[') { // a range or a subquery: durations and Grafana's interval variables
                int end = expression.indexOf(']', i);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed [ in: " + expression);
                }
                i = end + 1;
            } else if (c == '"' || c == '\'' || c == '`') {
                StringBuilder text = new StringBuilder();
                int j = i + 1;
                while (j < length && expression.charAt(j) != c) {
                    if (expression.charAt(j) == '\\' && c != '`' && j + 1 < length) {
                        j++;
                    }
                    text.append(expression.charAt(j));
                    j++;
                }
                if (j >= length) {
                    throw new IllegalArgumentException("unterminated string in: " + expression);
                }
                tokens.add(new Token(Kind.STRING, text.toString()));
                i = j + 1;
            } else if (c == '$') { // a Grafana variable: $name, ${name} or ${name:format}
                int j = i + 1;
                if (j < length && expression.charAt(j) == '{') {
                    j = expression.indexOf('}', j);
                    if (j < 0) {
                        throw new IllegalArgumentException("unclosed ${ in: " + expression);
                    }
                    j++;
                } else {
                    while (j < length && isNamePart(expression.charAt(j))) {
                        j++;
                    }
                }
                tokens.add(new Token(Kind.VARIABLE, expression.substring(i, j)));
                i = j;
            } else if (Character.isDigit(c) || c == '.' && i + 1 < length && Character.isDigit(expression.charAt(i + 1))) {
                // digits, a decimal point, an exponent (1e-3), hex (0x1f), a duration's units (5m, 1h30m)
                boolean hex = expression.startsWith("0x", i) || expression.startsWith("0X", i);
                int j = i + 1;
                while (j < length) {
                    char d = expression.charAt(j);
                    char before = expression.charAt(j - 1);
                    boolean exponentSign = (d == '+' || d == '-') && (before == 'e' || before == 'E') && !hex;
                    if (!Character.isLetterOrDigit(d) && d != '.' && !exponentSign) {
                        break;
                    }
                    j++;
                }
                tokens.add(new Token(Kind.NUMBER, expression.substring(i, j)));
                i = j;
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int j = i;
                while (j < length && isNamePart(expression.charAt(j))) {
                    j++;
                }
                tokens.add(new Token(Kind.NAME, expression.substring(i, j)));
                i = j;
            } else if ("(){},".indexOf(c) >= 0) {
                tokens.add(new Token(Kind.PUNCTUATION, String.valueOf(c)));
                i++;
            } else {
                String two = i + 1 < length ? expression.substring(i, i + 2) : "";
                if (Set.of("=~", "!~", "!=", "==", ">=", "<=").contains(two)) {
                    tokens.add(new Token(Kind.OPERATOR, two));
                    i += 2;
                } else if ("=<>+-*/%^@".indexOf(c) >= 0) {
                    tokens.add(new Token(Kind.OPERATOR, String.valueOf(c)));
                    i++;
                } else {
                    throw new IllegalArgumentException("unexpected '" + c + "' at " + i + " in: " + expression);
                }
            }
        }
        return tokens;
    }

    private static boolean isNamePart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }
}
