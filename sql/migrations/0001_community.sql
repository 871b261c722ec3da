-- The trust community this instance serves: exactly one row, set by `troth init`.
CREATE TABLE community (
    id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    uri        text NOT NULL CHECK (length(uri) BETWEEN 1 AND 2048),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
    created_at timestamptz NOT NULL DEFAULT now()
);
