-- Full-text catalog search on PostgreSQL and PGlite (the embedded profile's search; the services
-- profile may use Elasticsearch instead, with the same results for the same catalog).
-- The 'simple' configuration lowercases and splits words without stemming or stop words, like
-- Elasticsearch's standard analyzer (the only one its minimal distribution carries), so both find the
-- same products for the same words. A generated column keeps itself up to date with every write of the
-- catalog projection, and a rebuild's copy of the table (CREATE TABLE ... LIKE ... INCLUDING ALL) keeps it.
-- Weights rank a match in the title above one in the brand above one in the description.
ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple', title), 'A') ||
  setweight(to_tsvector('simple', brand), 'B') ||
  setweight(to_tsvector('simple', description), 'C')
) STORED;

CREATE INDEX products_search ON products USING gin (search_vector) WHERE listed;

-- Attribute filters (`attr=colour:red`) are containment tests, which this index answers.
CREATE INDEX products_by_attributes ON products USING gin (attributes jsonb_path_ops) WHERE listed;
