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
DECLARE
    t       RECORD;
    now_row RECORD;
    changed BIGINT;
    short   BIGINT;
    left_   INTEGER;
    ids     BIGINT[] := '{}';
    takes   INTEGER[] := '{}';
BEGIN
    -- one product at a time, by primary key (a plan the session keeps; a handful of rows)
    FOR t IN SELECT * FROM json_to_recordset(p_products) AS (id BIGINT, md5 TEXT, take INTEGER) LOOP
        IF t.take IS NULL THEN
            SELECT p.stock, p.active, md5(p.product_json) AS md5 INTO now_row FROM products p WHERE p.id = t.id;
        ELSE
            SELECT p.stock, p.active, md5(p.product_json) AS md5 INTO now_row FROM products p WHERE p.id = t.id
               FOR UPDATE;
        END IF;
        IF changed IS NULL AND (now_row IS NULL OR now_row.active <> 1 OR now_row.md5 <> t.md5
                                OR (now_row.stock IS NULL) <> (t.take IS NULL)) THEN
            changed := t.id;
        ELSIF short IS NULL AND now_row.stock < t.take THEN
            short := t.id;
            left_ := now_row.stock;
        END IF;
        IF t.take IS NOT NULL THEN
            ids := ids || t.id;
            takes := takes || t.take;
        END IF;
    END LOOP;

    SELECT o.id INTO order_id FROM orders o WHERE o.checkout_token = p_token;
    IF FOUND THEN
        outcome := 'exists';
        RETURN;
    END IF;
    IF changed IS NOT NULL THEN
        outcome := 'changed';
        product_id := changed;
        RETURN;
    END IF;
    IF short IS NOT NULL THEN
        outcome := 'short';
        product_id := short;
        stock := left_;
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

    FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
        UPDATE products p SET stock = p.stock - takes[i] WHERE p.id = ids[i];
    END LOOP;

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
