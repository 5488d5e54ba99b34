-- version 2: carts survive a restart. One open cart per shop and customer key (a customer's name,
-- or a device's key for anonymous shoppers), stored as the Cart model's JSON.

CREATE TABLE carts (
    shop_id      INTEGER NOT NULL REFERENCES shops(id),
    customer_key TEXT    NOT NULL,
    cart_json    TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (shop_id, customer_key)
);
