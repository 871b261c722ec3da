-- People and credentials: member organisations, users, sessions, API tokens,
-- and the audit log every change of state writes to.

CREATE TABLE members (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
    organization_id text NOT NULL UNIQUE CHECK (length(organization_id) BETWEEN 1 AND 2048),
    npi             text CHECK (npi ~ '^[0-9]{10}$'),
    contacts        jsonb NOT NULL DEFAULT '[]',
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'active', 'suspended', 'terminated')),
    notes           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 128),
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'auditor', 'member')),
    member_id     bigint REFERENCES members (id),
    password_hash text,               -- argon2id encoded; NULL: cannot sign in
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'member') = (member_id IS NOT NULL))
);
CREATE INDEX users_member ON users (member_id) WHERE member_id IS NOT NULL;

-- Only SHA-256 hashes of session and API tokens are stored.
CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    token_hash   bytea NOT NULL UNIQUE,
    csrf_token   text NOT NULL,
    source_ip    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,          -- absolute expiry
    ended_at     timestamptz                    -- logout or user disabled
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- The audit log. Rows are written in the transaction of the change they
-- record, without a lock; a sealer (one instance at a time) then links them
-- into a SHA-256 hash chain in commit order: chain_seq, prev_hash, hash.
CREATE TABLE audit_events (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_user_id bigint,
    actor_token_id bigint,
    actor         text NOT NULL,      -- username, or "system" / "cli:<user>"
    source_ip     text NOT NULL DEFAULT '',
    action        text NOT NULL,      -- e.g. "member.create", "session.login_failed"
    object_type   text NOT NULL DEFAULT '',
    object_id     text NOT NULL DEFAULT '',
    details       jsonb NOT NULL DEFAULT '{}',
    chain_seq     bigint UNIQUE,
    prev_hash     bytea,
    hash          bytea
);
CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE chain_seq IS NULL;
CREATE INDEX audit_events_action ON audit_events (action, object_id, at);
CREATE INDEX audit_events_ip ON audit_events (action, source_ip, at);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id, id);
CREATE INDEX audit_events_at ON audit_events (at, id);

-- What the hash covers: every column but the chain's own, in a fixed form.
CREATE FUNCTION audit_canonical(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(json_build_array(
        e.id,
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor_user_id, e.actor_token_id, e.actor, e.source_ip, e.action,
        e.object_type, e.object_id, e.details)::text, 'UTF8')
$$;

-- Nobody deletes audit events, and the only update allowed is sealing an
-- unsealed row, once, leaving its content as it was.
CREATE FUNCTION audit_events_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'audit events cannot be deleted' USING ERRCODE = '42501';
    END IF;
    IF OLD.hash IS NOT NULL OR NEW.hash IS NULL
       OR audit_canonical(OLD) <> audit_canonical(NEW) THEN
        RAISE EXCEPTION 'audit events cannot be changed' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_guard BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard();
