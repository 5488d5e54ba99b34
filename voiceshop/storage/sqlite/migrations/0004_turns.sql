-- version 4: what shoppers said, for the shop's insights (what was asked for, what was not
-- understood, conversions), and who returned a callback and when.
-- A turn is one thing a shopper said or typed, on any channel. ``heard`` is personal data: it is
-- emptied (NULL) after the transcript retention period and when the customer is forgotten; a PIN
-- said at the PIN question is never written (the dialog's masked text is).

CREATE TABLE turns (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER NOT NULL REFERENCES shops(id),
    session    TEXT    NOT NULL,                -- the device or web session the turn was said on
    channel    TEXT    NOT NULL,                -- chat, voice, api, web or wyoming
    customer   TEXT,                            -- who was shopping, if known (for forgetting)
    heard      TEXT,                            -- the words; NULL once erased
    intent     TEXT,                            -- the intent understood; NULL: nothing matched
    understood INTEGER NOT NULL CHECK (understood IN (0, 1)),   -- 0: the dialog did not understand
    skus_json  TEXT    NOT NULL DEFAULT '[]',   -- products the words named
    order_number TEXT,                          -- the order this turn placed, if any
    ended      INTEGER NOT NULL DEFAULT 0 CHECK (ended IN (0, 1)),  -- the shopper said goodbye
    created_at TEXT    NOT NULL
);
CREATE INDEX turns_by_shop_time ON turns (shop_id, created_at);
CREATE INDEX turns_by_customer ON turns (lower(customer)) WHERE customer IS NOT NULL;

ALTER TABLE callbacks ADD COLUMN returned_by TEXT;
ALTER TABLE callbacks ADD COLUMN returned_at TEXT;
