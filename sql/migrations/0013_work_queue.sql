-- The staff's work queue (issue 14 §3, GET /api/v1/attention): proposals
-- awaiting approval across all members, and whether a certificate has a
-- successor (a renewal), found by index at any size of community.
CREATE INDEX member_uris_pending ON member_uris (id) WHERE status = 'pending';
CREATE INDEX certificates_renewed_from ON certificates (renewed_from)
    WHERE renewed_from IS NOT NULL;
