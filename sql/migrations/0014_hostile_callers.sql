-- Hostile callers (issue 13): sign-in limits that cannot be turned against
-- an account's owner, failed sign-ins counted without one audit row per
-- attempt, and URI proposals that neither squat nor probe.

-- Attempts per window, taken (counted) before the password is hashed, in
-- one statement, so parallel guesses cannot pass the limit:
--   kind 'login':    subject = username, ip = client address (the pair)
--   kind 'ip':       subject = '',       ip = client address (all accounts)
--   kind 'password': subject = users.id, ip = '' (POST /api/v1/me/password)
-- A successful sign-in forgets its pair and gives its address's attempt
-- back; rows of past windows are removed by `serve`.
CREATE TABLE login_limits (
    kind         text NOT NULL CHECK (kind IN ('login', 'ip', 'password')),
    subject      text NOT NULL,
    ip           text NOT NULL,
    window_start timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 1,
    PRIMARY KEY (kind, subject, ip)
);
CREATE INDEX login_limits_window ON login_limits (window_start);

-- Failed sign-ins of the current window, per account (username '' for
-- every name that is no account: the names tried are not kept). When the
-- window closes `serve` writes one audit event "session.login_failed" with
-- the count, and removes the row.
CREATE TABLE login_failures (
    username     text PRIMARY KEY,
    window_start timestamptz NOT NULL DEFAULT now(),
    last_at      timestamptz NOT NULL DEFAULT now(),
    failures     integer NOT NULL DEFAULT 0,
    addresses    text[] NOT NULL DEFAULT '{}',  -- the first 20 distinct
    reasons      jsonb NOT NULL DEFAULT '{}'    -- {"wrong password": 3, ...}
);
CREATE INDEX login_failures_window ON login_failures (window_start);

-- A member user's proposal is scoped to its member: several members may
-- propose one URI (none learns of the others, nor of an approved owner),
-- and only an approved URI is unique in the community. When staff add or
-- approve a URI, the other members' pending proposals of it are declined
-- (kept, status 'declined', so their members see it; audited).
ALTER TABLE member_uris DROP CONSTRAINT member_uris_uri_key;
ALTER TABLE member_uris DROP CONSTRAINT member_uris_status_check;
ALTER TABLE member_uris ADD CONSTRAINT member_uris_status_check
    CHECK (status IN ('pending', 'approved', 'declined'));
CREATE UNIQUE INDEX member_uris_approved_uri ON member_uris (uri) WHERE status = 'approved';
CREATE UNIQUE INDEX member_uris_member_uri ON member_uris (member_id, uri);
CREATE INDEX member_uris_uri ON member_uris (uri);
