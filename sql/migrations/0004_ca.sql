-- The community's certificate authorities, the certificates they issue, and
-- their CRLs. CA private keys are stored only as encrypted PKCS#8 PEM; only
-- the signer process can decrypt them.

CREATE TABLE cas (
    id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    kind             text NOT NULL CHECK (kind IN ('root', 'issuing')),
    parent_id        text REFERENCES cas (id),
    subject          text NOT NULL,
    certificate_der  bytea NOT NULL,
    key_encrypted    text NOT NULL CHECK (key_encrypted LIKE '-----BEGIN ENCRYPTED PRIVATE KEY-----%'),
    key_description  text NOT NULL,
    fingerprint_sha256 text NOT NULL UNIQUE,
    not_before       timestamptz NOT NULL,
    not_after        timestamptz NOT NULL,
    -- the CA new member certificates are issued under (one at a time)
    issues_members   boolean NOT NULL DEFAULT false,
    -- bumped by every revocation / hold / unhold in the same transaction:
    -- a CRL is current when it covers the CA's crl_generation
    crl_generation   bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'root') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX cas_one_issuing ON cas (issues_members) WHERE issues_members;

CREATE TABLE certificates (
    serial            text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{2,40}$'),
    ca_id             text NOT NULL REFERENCES cas (id),
    member_id         bigint NOT NULL REFERENCES members (id),
    profile           text NOT NULL,
    subject           text NOT NULL,
    uris              text[] NOT NULL,
    key_description   text NOT NULL,
    not_before        timestamptz NOT NULL,
    not_after         timestamptz NOT NULL,
    der               bytea NOT NULL,
    fingerprint_sha256 text NOT NULL,
    status            text NOT NULL DEFAULT 'valid'
                      CHECK (status IN ('valid', 'revoked', 'on_hold')),
    revocation_reason text,
    revoked_at        timestamptz,
    renewed_from      text REFERENCES certificates (serial),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ca_id, serial),
    CHECK ((status = 'valid') = (revoked_at IS NULL)),
    CHECK ((status = 'valid') = (revocation_reason IS NULL)),
    CHECK ((status = 'on_hold') = (revocation_reason IS NOT DISTINCT FROM 'certificateHold'))
);
CREATE INDEX certificates_member ON certificates (member_id, serial);
CREATE INDEX certificates_not_after ON certificates (not_after, serial);
CREATE INDEX certificates_uris ON certificates USING gin (uris);
-- the CRL's entries: revoked or held, per CA
CREATE INDEX certificates_revoked ON certificates (ca_id, serial)
    INCLUDE (revoked_at, revocation_reason, not_after) WHERE status <> 'valid';

CREATE TABLE crls (
    ca_id        text NOT NULL REFERENCES cas (id),
    crl_number   bigint NOT NULL CHECK (crl_number > 0),
    this_update  timestamptz NOT NULL,
    next_update  timestamptz NOT NULL,
    entries      bigint NOT NULL,
    covers_generation bigint NOT NULL,
    der          bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ca_id, crl_number)
);
