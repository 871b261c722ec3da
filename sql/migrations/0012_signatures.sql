-- The signature record (README "Key custody"): one row for every
-- certificate or CRL a CA key is asked to sign, written and committed on
-- its own BEFORE the signer is asked, so that no signed object can exist
-- without a row that says so. The issuing transaction marks it 'issued'
-- (and the certificate or CRL row points to it); a failed store marks it
-- 'abandoned' with the reason (the signed object was discarded and never
-- published); a crash between the two leaves it 'reserved', visible in
-- GET /api/v1/cas/{id}/signatures and `troth ca signatures`.
CREATE TABLE signatures (
    id            bigserial PRIMARY KEY,
    ca_id         text NOT NULL REFERENCES cas (id),
    kind          text NOT NULL CHECK (kind IN ('certificate', 'crl')),
    serial        text CHECK (serial ~ '^[0-9a-f]{2,40}$'),
    crl_number    bigint CHECK (crl_number > 0),
    -- SHA-256 of the DER TBSCertificate / TBSCertList handed to the signer
    -- (NULL only for rows carried over from before this migration)
    tbs_sha256    text CHECK (tbs_sha256 ~ '^[0-9a-f]{64}$'),
    requested_by  text NOT NULL,
    state         text NOT NULL DEFAULT 'reserved'
                  CHECK (state IN ('reserved', 'issued', 'abandoned')),
    reason        text,
    -- SHA-256 of the signed DER, once the signer answered
    signed_sha256 text CHECK (signed_sha256 ~ '^[0-9a-f]{64}$'),
    reserved_at   timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    CHECK ((kind = 'certificate') = (serial IS NOT NULL)),
    CHECK ((kind = 'crl') = (crl_number IS NOT NULL)),
    CHECK ((state = 'reserved') = (decided_at IS NULL)),
    CHECK ((state = 'abandoned') = (reason IS NOT NULL)),
    CHECK (state <> 'issued' OR signed_sha256 IS NOT NULL),
    CHECK (tbs_sha256 IS NOT NULL OR requested_by = 'migration 0012')
);
-- a serial is reserved once, ever; a CRL number once per CA (a number that
-- was signed, even if abandoned, is never signed again: RFC 5280 5.2.3)
CREATE UNIQUE INDEX signatures_serial ON signatures (serial) WHERE kind = 'certificate';
CREATE UNIQUE INDEX signatures_crl_number ON signatures (ca_id, crl_number)
    WHERE kind = 'crl';
CREATE INDEX signatures_ca ON signatures (ca_id, id);
CREATE INDEX signatures_open ON signatures (ca_id) WHERE state = 'reserved';

ALTER TABLE certificates ADD COLUMN signature_id bigint REFERENCES signatures (id);
ALTER TABLE crls ADD COLUMN signature_id bigint REFERENCES signatures (id);

-- What was signed before the record existed: listed as issued, without the
-- TBS hash it was not asked for (the signed DER's hash is known).
INSERT INTO signatures (ca_id, kind, serial, requested_by, state, signed_sha256,
                        reserved_at, decided_at)
SELECT ca_id, 'certificate', serial, 'migration 0012', 'issued',
       encode(sha256(der), 'hex'), created_at, created_at
FROM certificates ORDER BY created_at, serial;
UPDATE certificates c SET signature_id = s.id FROM signatures s
WHERE s.kind = 'certificate' AND s.serial = c.serial;
INSERT INTO signatures (ca_id, kind, crl_number, requested_by, state, signed_sha256,
                        reserved_at, decided_at)
SELECT ca_id, 'crl', crl_number, 'migration 0012', 'issued',
       encode(sha256(der), 'hex'), created_at, created_at
FROM crls ORDER BY created_at, crl_number;
UPDATE crls c SET signature_id = s.id FROM signatures s
WHERE s.kind = 'crl' AND s.ca_id = c.ca_id AND s.crl_number = c.crl_number;
