-- Facet counts kept by the catalog projection: listed products per category, brand, price range and
-- whether any is available. A search with no words, no price range and no attribute filter (the
-- browse pages: everything, a category, a brand, in stock only) counts its facets from these few
-- thousand rows instead of every matching product (src/projections/catalog/queries.ts).
-- price_bucket is width_bucket(price_amount, PRICE_STEPS): 0 below the first step, i from PRICE_STEPS[i-1].
CREATE TABLE catalog_facet_counts (
  category     text NOT NULL,
  brand        text NOT NULL,
  price_bucket integer NOT NULL,
  in_stock     boolean NOT NULL,
  products     bigint NOT NULL,
  PRIMARY KEY (category, brand, price_bucket, in_stock)
);

-- The last transaction that wrote product documents: facet counts that do not depend on stock stay
-- good until it changes, however often checkouts move stock (src/search/facet-cache.ts).
CREATE TABLE catalog_products_written (
  one     boolean PRIMARY KEY DEFAULT true CHECK (one),
  written xid8 NOT NULL
);

-- Whether any of a product is available, kept on its row by the catalog projection, so that an
-- in-stock filter needs no join with product_availability.
ALTER TABLE products ADD COLUMN in_stock boolean NOT NULL DEFAULT false;
UPDATE products p SET in_stock = true FROM product_availability a WHERE a.sku = p.sku AND a.available > 0;

-- The counts of the catalog as it stands (the projection adjusts them with every batch from here on).
INSERT INTO catalog_facet_counts (category, brand, price_bucket, in_stock, products)
SELECT p.category, p.brand, width_bucket(p.price_amount, ARRAY[1000,2500,5000,10000,25000,50000,100000]::bigint[]),
       p.in_stock, count(*)
  FROM products p
 WHERE p.listed
 GROUP BY 1, 2, 3, 4;
