-- Notices that must never be lost: webhook endpoints, the outbox (written
-- in the same transaction as the event, by a trigger on audit_events, so
-- no code path that writes an event can forget its notice), and every
-- delivery attempt.
CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    url         text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    events      text[] NOT NULL CHECK (cardinality(events) > 0),
    -- the HMAC key: kept as is, the sender needs it to sign
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    channel         text NOT NULL CHECK (channel IN ('webhook', 'email')),
    webhook_id      bigint REFERENCES webhooks (id),
    recipients      text[] NOT NULL DEFAULT '{}',
    event           text NOT NULL,
    -- notices with the same key (a certificate's serial, a member, a CA)
    -- are delivered in order, per endpoint
    order_key       text NOT NULL,
    payload         jsonb NOT NULL,
    -- one notice per expiry threshold / alert episode
    dedupe_key      text UNIQUE,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'dead', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    CHECK ((channel = 'webhook') = (webhook_id IS NOT NULL))
);
CREATE INDEX outbox_pending ON outbox (channel, (coalesce(webhook_id, 0)), order_key, id)
    WHERE status = 'pending';
CREATE INDEX outbox_webhook ON outbox (webhook_id, id) WHERE webhook_id IS NOT NULL;
CREATE INDEX outbox_dead ON outbox (id) WHERE status = 'dead';

CREATE TABLE outbox_attempts (
    id          bigserial PRIMARY KEY,
    outbox_id   bigint NOT NULL REFERENCES outbox (id),
    at          timestamptz NOT NULL DEFAULT now(),
    ok          boolean NOT NULL,
    http_status integer,
    error       text NOT NULL DEFAULT '',
    duration_ms integer NOT NULL
);
CREATE INDEX outbox_attempts_notice ON outbox_attempts (outbox_id, id);

-- The webhook events of an audit event, one outbox row per endpoint that
-- subscribed to it.
CREATE FUNCTION outbox_from_audit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ev text;
    s text;
    payload jsonb;
BEGIN
    ev := CASE NEW.action
        WHEN 'certificate.issue' THEN 'certificate.issued'
        WHEN 'certificate.renew' THEN 'certificate.issued'
        WHEN 'certificate.revoke' THEN 'certificate.revoked'
        WHEN 'certificate.hold' THEN 'certificate.held'
        WHEN 'certificate.unhold' THEN 'certificate.released'
        WHEN 'crl.generate' THEN 'crl.published'
        WHEN 'member.activate' THEN 'member.status_changed'
        WHEN 'member.suspend' THEN 'member.status_changed'
        WHEN 'member.reinstate' THEN 'member.status_changed'
        WHEN 'member.terminate' THEN 'member.status_changed'
        END;
    IF ev IS NULL OR NOT EXISTS (SELECT 1 FROM webhooks
                                 WHERE deleted_at IS NULL AND ev = ANY (events)) THEN
        RETURN NULL;
    END IF;
    IF ev LIKE 'certificate.%' THEN
        FOR s IN SELECT NEW.object_id WHERE NEW.object_type = 'certificate'
                 UNION ALL
                 SELECT jsonb_array_elements_text(NEW.details -> 'serials')
                 WHERE NEW.object_type = 'member' LOOP
            SELECT jsonb_strip_nulls(jsonb_build_object(
                'serial', c.serial, 'ca', c.ca_id, 'member_id', c.member_id::text,
                'profile', c.profile, 'uris', to_jsonb(c.uris), 'status', c.status,
                'not_before', to_char(c.not_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                'not_after', to_char(c.not_after AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                'reason', CASE WHEN ev IN ('certificate.revoked', 'certificate.held')
                               THEN c.revocation_reason END,
                'revoked_at', CASE WHEN ev IN ('certificate.revoked', 'certificate.held')
                    THEN to_char(c.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
                'renewed_from', c.renewed_from))
              INTO payload FROM certificates c WHERE c.serial = s;
            INSERT INTO outbox (channel, webhook_id, event, order_key, payload)
            SELECT 'webhook', w.id, ev, s, payload FROM webhooks w
            WHERE w.deleted_at IS NULL AND ev = ANY (w.events) AND payload IS NOT NULL
            ORDER BY w.id;
        END LOOP;
    ELSE
        payload := CASE WHEN ev = 'crl.published' THEN jsonb_build_object(
                'ca', NEW.object_id,
                'crl_number', (NEW.details ->> 'crl_number')::bigint,
                'entries', (NEW.details ->> 'entries')::bigint)
            ELSE jsonb_build_object('member_id', NEW.object_id,
                'from', NEW.details ->> 'from', 'to', NEW.details ->> 'to') END;
        INSERT INTO outbox (channel, webhook_id, event, order_key, payload)
        SELECT 'webhook', w.id, ev,
               CASE WHEN ev = 'crl.published' THEN 'crl:' ELSE 'member:' END || NEW.object_id,
               payload
        FROM webhooks w WHERE w.deleted_at IS NULL AND ev = ANY (w.events) ORDER BY w.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_events_outbox AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION outbox_from_audit();
