package io.taglake.serving;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.spec.KeySpec;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.security.sasl.AuthenticationException;

import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * HiveServer2 password check against a file of PBKDF2 hashes (hive.server2.authentication=CUSTOM).
 *
 * One user a line: {@code name:pbkdf2_sha256:iterations:salt_hex:hash_hex} ({@code taglake bi passwd}
 * writes them); {@code #} starts a comment. The file is read at every login, so users added or
 * removed take effect without a restart. Hive builds this class from a fresh HiveConf, so the file
 * comes from the system property {@value #FILE_PROPERTY}.
 */
public class PasswordFileAuthenticator implements PasswdAuthenticationProvider {
    public static final String FILE_PROPERTY = "taglake.serve.password.file";

    @Override
    public void Authenticate(String user, String password) throws AuthenticationException {
        String file = System.getProperty(FILE_PROPERTY);
        if (file == null || file.isEmpty()) {
            throw new AuthenticationException("taglake: no password file configured (" + FILE_PROPERTY + ")");
        }
        if (user == null || password == null || password.isEmpty()) {
            throw new AuthenticationException("invalid user name or password");
        }
        for (String line : lines(Paths.get(file))) {
            String entry = line.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            String[] f = entry.split(":");
            if (f.length == 5 && f[0].equals(user) && f[1].equals("pbkdf2_sha256")) {
                if (matches(password, Integer.parseInt(f[2]), HexFormat.of().parseHex(f[3]), HexFormat.of().parseHex(f[4]))) {
                    return;
                }
                break;
            }
        }
        throw new AuthenticationException("invalid user name or password");
    }

    private static java.util.List<String> lines(Path file) throws AuthenticationException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AuthenticationException("taglake: cannot read the password file " + file, e);
        }
    }

    private static boolean matches(String password, int iterations, byte[] salt, byte[] expected) throws AuthenticationException {
        try {
            KeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, expected.length * 8);
            byte[] got = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return MessageDigest.isEqual(got, expected);
        } catch (Exception e) {
            throw new AuthenticationException("taglake: cannot check the password", e);
        }
    }
}
