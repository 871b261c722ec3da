-- Invitations can be revoked (issue 14 §10): a revoked invitation's token
-- no longer works; resending gives a pending or expired one a new token.
ALTER TABLE invitations ADD COLUMN revoked_at timestamptz;
