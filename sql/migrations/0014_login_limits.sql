-- Sign-in limits that cannot be turned against an account's owner, and
-- failed sign-ins counted without one audit row per attempt (issue 13).

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
