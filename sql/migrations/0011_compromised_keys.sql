-- Compromised keys stay dead: the SHA-256 of the SubjectPublicKeyInfo (one
-- canonical DER) of every certificate revoked for keyCompromise. Issuance
-- and renewal refuse a key found here, for every member. Revocations made
-- before this table existed are marked by `troth serve` at start-up (it
-- parses each certificate's DER).
CREATE TABLE compromised_keys (
    serial      text PRIMARY KEY REFERENCES certificates (serial),
    spki_sha256 bytea NOT NULL CHECK (length(spki_sha256) = 32),
    marked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX compromised_keys_spki ON compromised_keys (spki_sha256);
