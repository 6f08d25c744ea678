package io.flowkeeper.network.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Self-contained tokens: {@code fk1.<payload>.<signature>}, the payload (user, project, roles, expiry) in base64url
 * JSON, the signature an HMAC-SHA256 under a key derived from the cluster's node token. Every node holds the node
 * token already (it must be the same everywhere), so every node verifies every token with no shared state and no
 * datastore round trip; changing the node token revokes every token. The key is never logged.
 */
public final class TokenCodec {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "fk1.";

    private final SecretKeySpec key;

    public TokenCodec(String nodeToken) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(nodeToken.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            // A key of its own, so a token signature says nothing about the node token.
            byte[] derived = mac.doFinal("flowkeeper keystone token key v1".getBytes(StandardCharsets.UTF_8));
            this.key = new SecretKeySpec(derived, "HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 missing from the JDK", e);
        }
    }

    /** What a token says. {@code projectId} is null for an unscoped token. */
    public record Claims(String userId, String userName, String projectId, String projectName, List<String> roles,
                         Instant issuedAt, Instant expiresAt, String auditId) {
        public Claims {
            roles = List.copyOf(roles);
        }

        public Caller caller() {
            return new Caller(userId, userName, projectId, projectName, roles);
        }
    }

    public String encode(Claims c) {
        ObjectNode p = JSON.createObjectNode().put("u", c.userId()).put("un", c.userName())
                .put("i", c.issuedAt().getEpochSecond()).put("e", c.expiresAt().getEpochSecond()).put("a", c.auditId());
        if (c.projectId() != null) {
            p.put("p", c.projectId()).put("pn", c.projectName());
        }
        c.roles().forEach(p.putArray("r")::add);
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(p.toString()
                .getBytes(StandardCharsets.UTF_8));
        return PREFIX + payload + "." + sign(payload);
    }

    /** The claims of a valid, unexpired token; null for anything else (forged, truncated, expired). */
    public Claims decode(String token, Instant now) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 4096) {
            return null;
        }
        String rest = token.substring(PREFIX.length());
        int dot = rest.indexOf('.');
        if (dot < 0) {
            return null;
        }
        String payload = rest.substring(0, dot);
        byte[] given = rest.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(given, sign(payload).getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        try {
            JsonNode p = JSON.readTree(Base64.getUrlDecoder().decode(payload));
            Instant expires = Instant.ofEpochSecond(p.path("e").asLong());
            if (!now.isBefore(expires)) {
                return null;
            }
            List<String> roles = new ArrayList<>();
            p.path("r").forEach(r -> roles.add(r.asText()));
            return new Claims(p.path("u").asText(), p.path("un").asText(), p.has("p") ? p.get("p").asText() : null,
                    p.has("pn") ? p.get("pn").asText() : null, roles, Instant.ofEpochSecond(p.path("i").asLong()),
                    expires, p.path("a").asText());
        } catch (java.io.IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private String sign(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
