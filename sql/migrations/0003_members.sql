-- Member onboarding: the URIs each member owns (one member per URI in the
-- whole community, stored byte-exact) and invitations of member users.

CREATE TABLE member_uris (
    id            bigserial PRIMARY KEY,
    member_id     bigint NOT NULL REFERENCES members (id),
    uri           text NOT NULL UNIQUE CHECK (length(uri) BETWEEN 1 AND 2048),
    -- lowercase scheme/host, no default port, no trailing slash: equal keys
    -- of different URIs are look-alikes (warned about, not refused)
    lookalike_key text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('client', 'server', 'idp')),
    status        text NOT NULL CHECK (status IN ('pending', 'approved')),
    created_by    bigint REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    approved_by   bigint REFERENCES users (id),
    approved_at   timestamptz,
    CHECK ((status = 'approved') = (approved_at IS NOT NULL))
);
CREATE INDEX member_uris_member ON member_uris (member_id, id);
CREATE INDEX member_uris_lookalike ON member_uris (lookalike_key);

-- Only the SHA-256 of an invitation token is stored; accepting one sets
-- accepted_at once (a second use is refused) and creates the member user.
CREATE TABLE invitations (
    id               bigserial PRIMARY KEY,
    member_id        bigint NOT NULL REFERENCES members (id),
    username         text NOT NULL CHECK (length(username) BETWEEN 1 AND 128),
    email            text CHECK (length(email) BETWEEN 3 AND 254),
    token_hash       bytea NOT NULL UNIQUE,
    created_by       bigint REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    accepted_at      timestamptz,
    accepted_user_id bigint REFERENCES users (id),
    CHECK ((accepted_at IS NULL) = (accepted_user_id IS NULL))
);
CREATE INDEX invitations_member ON invitations (member_id, id);
