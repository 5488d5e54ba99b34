-- version 2: carts survive a restart (as sqlite/migrations/0002_carts.sql).

CREATE TABLE carts (
    shop_id      BIGINT NOT NULL REFERENCES shops(id),
    customer_key TEXT   NOT NULL,
    cart_json    TEXT   NOT NULL,
    updated_at   TEXT   NOT NULL,
    PRIMARY KEY (shop_id, customer_key)
);
