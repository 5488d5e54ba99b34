-- version 6: the checkout's writes as one server-side function, so a device places an order with one
-- statement (one round trip, one plan the server keeps) instead of a transaction of eight. No table
-- changes (sqlite/migrations/0006_checkout_function.sql only moves the version on).
--
-- The caller (storage/orders.py, through PostgresDatabase.write_order) has read the products and the
-- checkout token without locks, priced the cart and built the order; the function checks in one
-- transaction that what it read still holds, then writes everything, or nothing:
--
--   outcome 'exists'   an order with this token is stored (a retry, or a device sending the same token
--                      whose order committed while this one waited): order_id is that order; nothing written
--   outcome 'changed'  a product is no longer sold, or changed (catalog reloaded, made to order or not)
--                      since it was read: product_id; nothing written; the caller reads and prices again
--   outcome 'short'    not enough stock: product_id and the stock left; nothing written
--   outcome 'placed'   the order, its lines, its first event and its outbox event are written and the
--                      stock taken: order_id
--
-- Stocked products are locked in id order, as cancellations and catalog reloads lock them, so two
-- transactions never wait for each other in a circle; made-to-order products are read, not locked.
-- The CHECK (stock >= 0) of products stays the last guard.

CREATE FUNCTION voiceshop_place_order(
    p_token        TEXT,
    p_id           BIGINT,     -- the order's id, taken from its sequence when the caller read
    p_number       TEXT,
    p_shop_id      BIGINT,
    p_customer_id  BIGINT,
    p_delivery     TEXT,
    p_currency     TEXT,
    p_subtotal     INTEGER,
    p_discount     INTEGER,
    p_delivery_fee INTEGER,
    p_total        INTEGER,
    p_coupon       TEXT,
    p_at           TEXT,
    p_products     JSON,       -- every product priced, in id order: [{"id", "md5" of its product_json
                               --   as priced, "take" from stock (null: made to order when read)}]
    p_lines        JSON,       -- the order's lines, in order: [{"product_id", "sku", "name",
                               --   "options_json", "quantity", "unit_price"}]
    p_payload      TEXT,       -- the order.placed outbox event
    OUT outcome    TEXT,
    OUT order_id   BIGINT,
    OUT product_id BIGINT,
    OUT stock      INTEGER
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM products p JOIN json_to_recordset(p_products) AS t (id BIGINT, md5 TEXT, take INTEGER) ON t.id = p.id
     WHERE p.stock IS NOT NULL
     ORDER BY p.id FOR UPDATE OF p;

    SELECT o.id INTO order_id FROM orders o WHERE o.checkout_token = p_token;
    IF FOUND THEN
        outcome := 'exists';
        RETURN;
    END IF;

    SELECT t.id INTO product_id
      FROM json_to_recordset(p_products) AS t (id BIGINT, md5 TEXT, take INTEGER)
      LEFT JOIN products p ON p.id = t.id
     WHERE p.id IS NULL OR p.active <> 1 OR md5(p.product_json) <> t.md5 OR (p.stock IS NULL) <> (t.take IS NULL)
     ORDER BY t.id LIMIT 1;
    IF FOUND THEN
        outcome := 'changed';
        RETURN;
    END IF;

    SELECT t.id, p.stock INTO product_id, stock
      FROM json_to_recordset(p_products) AS t (id BIGINT, md5 TEXT, take INTEGER) JOIN products p ON p.id = t.id
     WHERE p.stock < t.take
     ORDER BY t.id LIMIT 1;
    IF FOUND THEN
        outcome := 'short';
        RETURN;
    END IF;

    -- a device sending the same token at this moment: this INSERT waits for it, and if its order
    -- commits, nothing is inserted here (and no stock was taken yet)
    INSERT INTO orders (id, number, shop_id, customer_id, checkout_token, status, delivery, currency,
                        subtotal, discount, delivery_fee, total, coupon, created_at, updated_at)
    VALUES (p_id, p_number, p_shop_id, p_customer_id, p_token, 'placed', p_delivery, p_currency,
            p_subtotal, p_discount, p_delivery_fee, p_total, p_coupon, p_at, p_at)
    ON CONFLICT (checkout_token) DO NOTHING;
    IF NOT FOUND THEN
        SELECT o.id INTO order_id FROM orders o WHERE o.checkout_token = p_token;
        outcome := 'exists';
        RETURN;
    END IF;

    UPDATE products p SET stock = p.stock - t.take
      FROM json_to_recordset(p_products) AS t (id BIGINT, md5 TEXT, take INTEGER)
     WHERE p.id = t.id AND t.take IS NOT NULL;

    INSERT INTO order_lines (order_id, line_no, product_id, sku, name, options_json, quantity, unit_price)
    SELECT p_id, l.n, l.product_id, l.sku, l.name, l.options_json, l.quantity, l.unit_price
      FROM ROWS FROM (json_to_recordset(p_lines) AS (product_id BIGINT, sku TEXT, name TEXT, options_json TEXT,
                                                     quantity INTEGER, unit_price INTEGER))
           WITH ORDINALITY AS l (product_id, sku, name, options_json, quantity, unit_price, n);

    INSERT INTO order_events (order_id, status, at, note) VALUES (p_id, 'placed', p_at, 'order placed');
    INSERT INTO outbox (topic, payload_json, created_at) VALUES ('order.placed', p_payload, p_at);

    outcome := 'placed';
    order_id := p_id;
END
$$;
