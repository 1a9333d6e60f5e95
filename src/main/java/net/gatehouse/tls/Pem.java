package net.gatehouse.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The textual encoding of certificates and keys (RFC 7468, "PEM"): base64 DER between
 * {@code -----BEGIN label-----} and {@code -----END label-----}. Text between blocks, such as
 * OpenSSL's "Bag Attributes", is ignored, as OpenSSL ignores it.
 */
final class Pem {

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    /**
     * One block. {@code headers} are RFC 1421 lines such as {@code Proc-Type: 4,ENCRYPTED}, which
     * only OpenSSL's traditional encrypted keys still carry.
     */
    record Block(String label, List<String> headers, byte[] der) {
        Block {
            headers = List.copyOf(headers);
        }
    }

    private Pem() {
    }

    /** The blocks of {@code file} in order; none if it holds no PEM at all. */
    static List<Block> read(Path file) throws TlsConfigException {
        String text;
        try {
            // Latin-1 decodes any bytes, so a binary (DER) file is reported as having no block.
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new TlsConfigException(file, "no such file", e);
        } catch (AccessDeniedException e) {
            throw new TlsConfigException(file, "permission denied", e);
        } catch (IOException e) {
            throw new TlsConfigException(file, "cannot read: " + e.getMessage(), e);
        }
        List<Block> blocks = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(text);
        while (matcher.find()) {
            String label = matcher.group(1);
            List<String> headers = new ArrayList<>();
            StringBuilder base64 = new StringBuilder();
            for (String line : matcher.group(2).strip().split("\\R")) {
                // ':' is not in the base64 alphabet, so a line holding one is a header.
                if (line.indexOf(':') >= 0) {
                    headers.add(line.strip());
                } else {
                    base64.append(line.strip());
                }
            }
            try {
                blocks.add(new Block(label, headers, Base64.getDecoder().decode(base64.toString())));
            } catch (IllegalArgumentException e) {
                throw new TlsConfigException(file, "the " + label + " block is not valid base64", e);
            }
        }
        return blocks;
    }

    /** {@code der} as a PEM block with the 64-character lines RFC 7468 section 2 asks writers for. */
    static String encode(String label, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + base64 + "\n-----END " + label + "-----\n";
    }
}
