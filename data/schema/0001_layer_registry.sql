-- The layer registry and the one table that holds every layer's features.
--
-- Features of all layers share one table keyed by (layer_id, fid): re-importing a layer is then a
-- DELETE + INSERT inside one transaction, so readers see the old or the new version and never a mix,
-- and analysis results or indicator layers become layers without any DDL. Properties are kept as
-- jsonb exactly as they came from the source; their names and inferred types live in the registry.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Versions are never reused, even when a layer is deleted and created again, so that an ETag or a
-- cached response can never be mistaken for a newer one.
CREATE SEQUENCE layer_version_seq;

CREATE TABLE layers (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  source text NOT NULL DEFAULT '',
  licence text NOT NULL DEFAULT '',
  geometry_type text NOT NULL CHECK (geometry_type IN ('Point', 'MultiPoint', 'MultiLineString', 'MultiPolygon')),
  srid integer NOT NULL DEFAULT 3006 CHECK (srid = 3006),
  key_property text,
  properties jsonb NOT NULL DEFAULT '[]',
  feature_count integer NOT NULL DEFAULT 0,
  extent box2d,
  extent_wgs84 box2d,
  version bigint NOT NULL DEFAULT nextval('layer_version_seq'),
  updated_at timestamptz NOT NULL DEFAULT now(),
  import_report jsonb
);

COMMENT ON COLUMN layers.key_property IS 'Property whose value is the feature id; null when features are numbered in file order.';
COMMENT ON COLUMN layers.properties IS 'Ordered list of {"name","type"} with type string, integer, number or boolean.';
COMMENT ON COLUMN layers.extent IS 'Bounding box in EPSG:3006.';
COMMENT ON COLUMN layers.extent_wgs84 IS 'Bounding box of the features transformed to EPSG:4326 (lon, lat).';

CREATE TABLE layer_features (
  layer_id text NOT NULL REFERENCES layers (id) ON DELETE CASCADE,
  fid text COLLATE "C" NOT NULL,
  properties jsonb NOT NULL,
  geom geometry(Geometry, 3006) NOT NULL,
  -- Maintained at import so that the default GeoJSON output (RFC 7946, WGS 84) needs no per-request transform.
  geom_wgs84 geometry(Geometry, 4326) NOT NULL,
  PRIMARY KEY (layer_id, fid)
);

-- btree_gist lets one index serve "this layer, this box" without scanning other layers' boxes.
CREATE INDEX layer_features_geom_idx ON layer_features USING gist (layer_id, geom);
CREATE INDEX layer_features_geom_wgs84_idx ON layer_features USING gist (layer_id, geom_wgs84);

-- Every change to the registry is announced, so that each running service instance refreshes its
-- catalogue (and with it the versions its caches and ETags are keyed on) whoever made the change.
CREATE FUNCTION notify_layers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('layers_changed', coalesce(NEW.id, OLD.id));
  RETURN NULL;
END
$$;

CREATE TRIGGER layers_changed AFTER INSERT OR UPDATE OR DELETE ON layers
  FOR EACH ROW EXECUTE FUNCTION notify_layers_changed();
