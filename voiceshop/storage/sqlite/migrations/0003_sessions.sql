-- version 3: conversations. A session is one device's dialog with a shop: its state (question asked,
-- cart being built, settings) as JSON, saved in the same transaction as the order it may place.
-- A callback is a shopper's request to talk to a person, with the conversation so far.

CREATE TABLE sessions (
    shop_id    INTEGER NOT NULL REFERENCES shops(id),
    device     TEXT    NOT NULL,
    state_json TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (shop_id, device)
);

CREATE TABLE callbacks (
    id              INTEGER PRIMARY KEY,
    shop_id         INTEGER NOT NULL REFERENCES shops(id),
    customer        TEXT,
    device          TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    transcript_json TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at      TEXT    NOT NULL
);
CREATE INDEX callbacks_open ON callbacks (shop_id, status);
