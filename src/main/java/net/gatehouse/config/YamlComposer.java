package net.gatehouse.config;

import java.util.Objects;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * The configuration's YAML text composed into a tree of nodes, which {@link ConfigValue} then reads:
 * the one place that drives SnakeYAML Engine's parser. Two things it accepts are refused here, with
 * their line: merge keys, which YAML 1.2 does not have, and nesting deep enough to exhaust the stack.
 * Every failure of SnakeYAML's, in whichever form it escapes, becomes a {@link ConfigException}.
 */
final class YamlComposer {

    // The file is the administrator's own, not input from the network, and a valid_recipients list
    // can be long: allow far more than SnakeYAML's 3 MB default, but keep a bound.
    private static final int MAX_FILE_CODE_POINTS = 256 * 1024 * 1024;

    // SnakeYAML Engine composes nested collections by recursion and has no depth limit of its own:
    // a few thousand "[" overflowed the stack (issue 11). The deepest value the file has is 5 levels
    // down (policy.domains[0].valid_recipients[0]); SnakeYAML 2's own default limit is 50.
    static final int MAX_NESTING_DEPTH = 50;

    private YamlComposer() {
    }

    /**
     * The YAML as a tree of nodes rather than plain maps: nodes keep their line, so every error can
     * say where it is, and scalars keep their text, so "5m" and "100" are read as we mean them.
     */
    static Node compose(String yaml) throws ConfigException {
        LoadSettings settings = LoadSettings.builder()
                .setSchema(new CoreSchema()) // YAML 1.2 core: "~" and "null" are empty values
                .setCodePointLimit(MAX_FILE_CODE_POINTS)
                .build();
        try {
            return new StrictComposer(settings, yaml).getSingleNode().orElseThrow(() -> new ConfigException("",
                    "the file is empty; write for example \"hostname: <this gateway's name>\", or {} for all defaults"));
        } catch (RefusedYamlException e) {
            throw new ConfigException("", e.getMessage(), e.line, e.column, null);
        } catch (MarkedYamlEngineException e) {
            throw syntaxError(e);
        } catch (YamlEngineException e) {
            throw new ConfigException("", "not valid YAML: " + e.getMessage(), 0, 0, e);
        } catch (IllegalArgumentException e) {
            // SnakeYAML Engine 3.2 lets this out of its Tag class for a tag that decodes to leading
            // or trailing spaces ("!%20x", "!a%20"), instead of a YamlEngineException (issue 11:
            // found by fuzzing as "!%b").
            throw new ConfigException("", "not valid YAML: " + e.getMessage(), 0, 0, e);
        }
    }

    /**
     * SnakeYAML's composer, with two refusals. It applies YAML 1.1 merge keys ({@code <<: *base})
     * as it builds the tree; YAML 1.2, which the file is, has none. A file that uses one is refused,
     * not read in a way the docs do not promise. And it recurses once per level of nesting, so a
     * file nested deeper than {@link #MAX_NESTING_DEPTH} is refused before the stack runs out.
     */
    private static final class StrictComposer extends Composer {
        private int depth;

        StrictComposer(LoadSettings settings, String yaml) {
            super(settings, new ParserImpl(settings, new StreamReader(settings, yaml)));
        }

        @Override
        protected Node composeKeyNode(MappingNode node) {
            Node key = super.composeKeyNode(node);
            if (key.getTag().equals(Tag.MERGE) || key instanceof ScalarNode scalar && scalar.getValue().equals("<<")) {
                throw new RefusedYamlException(
                        "merge keys (<<) are not supported: write the keys out (an alias of a whole value, *name, works)",
                        key.getStartMark());
            }
            return key;
        }

        @Override
        protected SequenceNode composeSequenceNode(Optional<Anchor> anchor) {
            enter();
            try {
                return super.composeSequenceNode(anchor);
            } finally {
                depth--;
            }
        }

        @Override
        protected Node composeMappingNode(Optional<Anchor> anchor) {
            enter();
            try {
                return super.composeMappingNode(anchor);
            } finally {
                depth--;
            }
        }

        private void enter() {
            if (++depth > MAX_NESTING_DEPTH) {
                throw new RefusedYamlException("lists and mappings are nested more than " + MAX_NESTING_DEPTH
                        + " deep", parser.peekEvent().getStartMark());
            }
        }
    }

    private static final class RefusedYamlException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int line;
        private final int column;

        RefusedYamlException(String message, Optional<Mark> mark) {
            super(message);
            this.line = mark.map(m -> m.getLine() + 1).orElse(0);
            this.column = mark.map(m -> m.getColumn() + 1).orElse(0);
        }
    }

    private static ConfigException syntaxError(MarkedYamlEngineException e) {
        StringBuilder reason = new StringBuilder("not valid YAML: ")
                .append(Objects.requireNonNullElse(e.getProblem(), "unexpected text"));
        if (e.getContext() != null && !e.getContext().isBlank()) {
            reason.append(" (").append(e.getContext().strip());
            e.getContextMark().ifPresent(m -> reason.append(" at line ").append(m.getLine() + 1)
                    .append(", column ").append(m.getColumn() + 1));
            reason.append(')');
        }
        Optional<Mark> mark = e.getProblemMark();
        return new ConfigException("", reason.toString(),
                mark.map(m -> m.getLine() + 1).orElse(0), mark.map(m -> m.getColumn() + 1).orElse(0), e);
    }
}
