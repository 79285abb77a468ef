-- The catalog read model (src/projections/catalog/): product documents and availability per SKU,
-- both written by the `catalog` projection from product-* and inventory-* events. Plain SQL that
-- PostgreSQL 15 and PGlite run alike.

CREATE TABLE products (
  sku          text PRIMARY KEY,
  title        text NOT NULL,
  description  text NOT NULL,
  brand        text NOT NULL,
  category     text NOT NULL,
  attributes   jsonb NOT NULL,
  price_amount bigint NOT NULL,
  currency     text NOT NULL,
  listed       boolean NOT NULL,
  listed_at    timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  -- Product events applied so far: an in-process cache keeps a row only while nothing newer was written.
  revision     bigint NOT NULL
);

-- Browsing only ever shows listed products, so every index skips the delisted ones.
CREATE INDEX products_by_category ON products (category, price_amount) WHERE listed;
CREATE INDEX products_by_brand ON products (brand) WHERE listed;
CREATE INDEX products_by_price ON products (price_amount, sku) WHERE listed;
CREATE INDEX products_by_newest ON products (listed_at DESC, sku) WHERE listed;
CREATE INDEX products_by_title ON products (title, sku) WHERE listed;

CREATE TABLE product_availability (
  sku       text PRIMARY KEY,
  on_hand   bigint NOT NULL,
  reserved  bigint NOT NULL,
  available bigint GENERATED ALWAYS AS (on_hand - reserved) STORED,
  revision  bigint NOT NULL
);

-- Which of a customer's carts is the open one: carts are numbered `<customerId>.<n>`, and n moves on
-- when cart n is found checked out. Only a shortcut: the cart streams themselves are the truth.
CREATE TABLE customer_carts (
  customer_id text PRIMARY KEY,
  cart_number integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
