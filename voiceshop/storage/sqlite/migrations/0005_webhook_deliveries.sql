-- version 5: webhook deliveries. One row per (outbox event, endpoint URL), so attempts, backoff and
-- failures survive a restart and can be listed and replayed. A worker claims a due row for a while
-- (claimed_by, claimed_until) with a guarded UPDATE, so two servers on one store never post the same
-- delivery at the same time; a claim that outlives its worker expires.
-- Times are ISO 8601 UTC text with microseconds, like every other time in the store.

CREATE TABLE webhook_deliveries (
    id            INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL REFERENCES outbox(id),
    url           TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_at       TEXT    NOT NULL,
    last_error    TEXT    NOT NULL DEFAULT '',
    delivered_at  TEXT,
    claimed_by    TEXT,
    claimed_until TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    UNIQUE (event_id, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_state ON webhook_deliveries (state, id);
