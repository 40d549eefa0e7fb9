-- Regional indicators: a catalogue, values per (indicator, area, period, gender) with their provenance, and
-- the history of every value that was revised or removed.

CREATE SEQUENCE indicator_version_seq;

CREATE TABLE indicators (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,51}$'),
  title_sv text NOT NULL,
  title_en text NOT NULL,
  unit text NOT NULL,
  description text NOT NULL DEFAULT '',
  source text NOT NULL,
  source_reference jsonb NOT NULL DEFAULT '{}',
  area_levels text[] NOT NULL CHECK (cardinality(area_levels) > 0
    AND area_levels <@ ARRAY['municipality', 'county', 'tatort', 'country']),
  period_type text NOT NULL CHECK (period_type IN ('year', 'quarter', 'month')),
  divided_by_gender boolean NOT NULL DEFAULT false,
  decimals integer NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 6),
  licence text NOT NULL DEFAULT '',
  attribution text NOT NULL DEFAULT '',
  -- 'catalogue': as shipped in data/indicators.json and kept in step with it at start-up;
  -- 'api': created or edited through the API, which the shipped file then no longer overrides.
  defined_in text NOT NULL DEFAULT 'api' CHECK (defined_in IN ('catalogue', 'api')),
  -- Bumped whenever the definition or any value changes: the ETag of values and maps.
  version bigint NOT NULL DEFAULT nextval('indicator_version_seq'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Shipped indicators deleted through the API, so that start-up does not bring them back.
CREATE TABLE indicator_catalogue_removed (
  id text PRIMARY KEY,
  removed_at timestamptz NOT NULL DEFAULT now()
);

-- Every area code an indicator value may carry, and where its geometry is. Codes follow SCB: a 4-digit
-- municipality (kommun), a 2-digit county (län), a tätort code such as 2380TC114, and 00 for Sweden, which
-- has no geometry here. The layer ids are the default layers of data/layers.json.
CREATE VIEW indicator_areas AS
  SELECT f.fid AS code, 'municipality' AS level, f.properties ->> 'KOMMUNNAMN' AS name, f.layer_id, f.fid
  FROM layer_features f WHERE f.layer_id = 'municipalities'
  UNION ALL
  SELECT f.fid, 'county', f.properties ->> 'LANSNAMN', f.layer_id, f.fid
  FROM layer_features f WHERE f.layer_id = 'counties'
  UNION ALL
  SELECT f.fid, 'tatort', f.properties ->> 'name', f.layer_id, f.fid
  FROM layer_features f WHERE f.layer_id = 'tatorter'
  UNION ALL
  SELECT '00', 'country', 'Riket', NULL, NULL;

CREATE TABLE indicator_values (
  indicator_id text NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
  area_code text COLLATE "C" NOT NULL,
  period text COLLATE "C" NOT NULL,
  gender text NOT NULL CHECK (gender IN ('T', 'K', 'M')),
  -- numeric keeps the published decimals exactly; a missing or suppressed value is null with its status, never 0.
  value numeric,
  status text,
  period_start date NOT NULL,
  period_end date NOT NULL,
  source text NOT NULL,
  api_version text,
  origin text,
  retrieved_at timestamptz NOT NULL,
  run_id bigint,
  PRIMARY KEY (indicator_id, area_code, period, gender),
  CHECK (value IS NOT NULL OR status IS NOT NULL),
  CHECK (period_start <= period_end)
);

CREATE INDEX indicator_values_period_idx ON indicator_values (indicator_id, period, gender);

COMMENT ON COLUMN indicator_values.status IS 'Null for a published value; otherwise the source''s marker (Kolada status, json-stat symbol) or missing.';
COMMENT ON COLUMN indicator_values.origin IS 'Where the value was read: request URL, file and row, or the uploading key.';

CREATE TABLE indicator_value_history (
  indicator_id text NOT NULL,
  area_code text COLLATE "C" NOT NULL,
  period text COLLATE "C" NOT NULL,
  gender text NOT NULL,
  value numeric,
  status text,
  source text NOT NULL,
  api_version text,
  origin text,
  retrieved_at timestamptz NOT NULL,
  run_id bigint,
  replaced_at timestamptz NOT NULL DEFAULT now(),
  change text NOT NULL CHECK (change IN ('update', 'delete'))
);

CREATE INDEX indicator_value_history_idx ON indicator_value_history (indicator_id, area_code, period);

-- A revision never loses the value it replaces.
CREATE FUNCTION keep_indicator_value_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO indicator_value_history
    (indicator_id, area_code, period, gender, value, status, source, api_version, origin, retrieved_at, run_id, change)
  VALUES (OLD.indicator_id, OLD.area_code, OLD.period, OLD.gender, OLD.value, OLD.status, OLD.source, OLD.api_version,
          OLD.origin, OLD.retrieved_at, OLD.run_id, lower(TG_OP));
  RETURN NULL;
END
$$;

CREATE TRIGGER indicator_values_history AFTER UPDATE OR DELETE ON indicator_values
  FOR EACH ROW EXECUTE FUNCTION keep_indicator_value_history();
