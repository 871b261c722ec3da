-- Where each CA's private key lives (README "Key custody"):
--   database  encrypted PKCS#8 in cas.key_encrypted, decrypted by the signer;
--   offline   nowhere on this system (an offline root: its CRLs are signed
--             at a ceremony and brought in with `troth crl import`);
--   pkcs11    inside a PKCS#11 token; cas.key_uri is the RFC 7512 URI of the
--             key object (token and id). No key bytes are stored.
ALTER TABLE cas ALTER COLUMN key_encrypted DROP NOT NULL;
ALTER TABLE cas ADD COLUMN key_store text NOT NULL DEFAULT 'database'
    CHECK (key_store IN ('database', 'offline', 'pkcs11'));
ALTER TABLE cas ADD COLUMN key_uri text CHECK (key_uri LIKE 'pkcs11:%');
ALTER TABLE cas ADD CONSTRAINT cas_key_where CHECK (
    (key_store = 'database') = (key_encrypted IS NOT NULL)
    AND (key_store = 'pkcs11') = (key_uri IS NOT NULL));

-- Keys made by `troth ca issuing-csr`, waiting for the certificate a root
-- held elsewhere signs (`troth ca import --cert`). Same custody rules.
CREATE TABLE ca_pending_keys (
    spki_sha256     text PRIMARY KEY,
    id              text NOT NULL CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    key_store       text NOT NULL CHECK (key_store IN ('database', 'pkcs11')),
    key_encrypted   text CHECK (key_encrypted LIKE '-----BEGIN ENCRYPTED PRIVATE KEY-----%'),
    key_uri         text CHECK (key_uri LIKE 'pkcs11:%'),
    key_description text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((key_store = 'database') = (key_encrypted IS NOT NULL)),
    CHECK ((key_store = 'pkcs11') = (key_uri IS NOT NULL))
);

-- Lines of an offline ceremony log already brought into the audit log
-- (`troth crl import` / `troth ca import --ceremony-log`): each once.
CREATE TABLE ceremony_imports (
    line_sha256 text PRIMARY KEY,
    ca_id       text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);
