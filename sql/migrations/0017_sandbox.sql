-- The conformance sandbox (issue 15 §2): a separate test hierarchy whose
-- names say SANDBOX, and the fixtures relying parties test against. It is
-- test material, not CA custody: its keys are generated and used by the
-- process running `troth sandbox init|refresh` (or the admin's API call),
-- never by the signer, and stored here unencrypted (the leaves' keys are
-- published anyway, as PKCS#12 with a published passphrase). Nothing here
-- is read by the production publication, anchors, CRL worker or /readyz.

-- One row: the sandbox exists once initialised.
CREATE TABLE sandbox_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    generation   bigint NOT NULL,          -- +1 on each refresh (also the CRL number)
    base_url     text NOT NULL,            -- public URL the CDPs and the index name
    created_at   timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz NOT NULL DEFAULT now()
);

-- Keys (PKCS#8 PEM, unencrypted test material) and, for the CAs, their
-- certificates, which refresh keeps (relying parties pin the anchor).
CREATE TABLE sandbox_keys (
    name     text PRIMARY KEY,
    key_pem  text NOT NULL,
    cert_der bytea
);

-- What the public listener serves under /sandbox/, by path below it.
CREATE TABLE sandbox_objects (
    path         text PRIMARY KEY CHECK (path ~ '^[a-z0-9][a-z0-9./_-]*$'),
    content_type text NOT NULL,
    body         bytea NOT NULL
);
