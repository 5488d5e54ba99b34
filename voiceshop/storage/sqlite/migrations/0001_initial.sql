-- voiceshop order store, version 1.
-- Amounts are integer minor units of the shop's currency. Timestamps are ISO 8601 UTC text.

CREATE TABLE shops (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    currency           TEXT    NOT NULL,
    shop_json          TEXT    NOT NULL,   -- the validated Shop model
    option_groups_json TEXT    NOT NULL,   -- the catalog's option groups
    fingerprint        TEXT    NOT NULL,   -- changes whenever shop or catalog content changes
    source             TEXT,               -- folder it was loaded from
    loaded_at          TEXT    NOT NULL
);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    shop_id      INTEGER NOT NULL REFERENCES shops(id),
    sku          TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    brand        TEXT,
    price        INTEGER NOT NULL CHECK (price >= 0),
    stock        INTEGER CHECK (stock IS NULL OR stock >= 0),   -- NULL: made to order, never runs out
    active       INTEGER NOT NULL DEFAULT 1,                     -- 0: no longer in the catalog file
    product_json TEXT    NOT NULL,
    UNIQUE (shop_id, sku)
);
CREATE INDEX products_by_category ON products (shop_id, category);

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    customer_json TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    number         TEXT    UNIQUE,
    shop_id        INTEGER NOT NULL REFERENCES shops(id),
    customer_id    INTEGER REFERENCES customers(id),
    checkout_token TEXT    NOT NULL UNIQUE,
    status         TEXT    NOT NULL CHECK (status IN
                   ('placed', 'confirmed', 'preparing', 'ready', 'shipped', 'delivered', 'cancelled')),
    delivery       TEXT    NOT NULL CHECK (delivery IN ('pickup', 'standard', 'express')),
    currency       TEXT    NOT NULL,
    subtotal       INTEGER NOT NULL CHECK (subtotal >= 0),
    discount       INTEGER NOT NULL CHECK (discount >= 0),
    delivery_fee   INTEGER NOT NULL CHECK (delivery_fee >= 0),
    total          INTEGER NOT NULL CHECK (total >= 0),
    coupon         TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX orders_by_shop_status ON orders (shop_id, status);
CREATE INDEX orders_by_customer ON orders (customer_id);

CREATE TABLE order_lines (
    order_id     INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_no      INTEGER NOT NULL,
    product_id   INTEGER NOT NULL REFERENCES products(id),
    sku          TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    options_json TEXT    NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    unit_price   INTEGER NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_by_product ON order_lines (product_id);

CREATE TABLE order_events (
    id       INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    status   TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    note     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX order_events_by_order ON order_events (order_id);

-- Events for later integrations (printers, POS, notifications), written in the same transaction
-- as the change they describe; a consumer marks them delivered.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    topic        TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX outbox_pending ON outbox (delivered_at) WHERE delivered_at IS NULL;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
