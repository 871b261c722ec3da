-- A password Troth generated (POST /api/v1/users without one) was seen by
-- the admin who made the user: it must be changed at first sign-in. While
-- set, the user's sessions and tokens may only read who they are and change
-- the password (src/http/server.c); POST /api/v1/me/password clears it.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
