-- Regional development measures: the register, its geography and its history.
--
-- A measure is edited as one record (attributes and typed amounts) with its links to places: declared areas
-- (municipality or county codes, optionally weighted) and its own geometries (sites, routes, drawn areas).
-- Every version of a record is kept whole in measure_versions, so that the register at any past instant can be
-- rebuilt and a deleted measure read back exactly. The layers 'measures', 'measure-links' and
-- 'measures-by-municipality' are written from these tables (kind 'measure') and served like every other layer.

-- Network layers come from the road network; both migrations that widen the list write the same list.
ALTER TABLE layers DROP CONSTRAINT IF EXISTS layers_kind_check;
ALTER TABLE layers ADD CONSTRAINT layers_kind_check
  CHECK (kind IN ('imported', 'indicator', 'analysis', 'network', 'measure'));

-- A feature may last a period rather than sit at an instant: the property holding its end (null = open).
ALTER TABLE layers ADD COLUMN IF NOT EXISTS time_end_property text;
COMMENT ON COLUMN layers.time_end_property IS 'With time_property: the property holding the end of each feature''s period (OGC datetime intersects the period).';

-- The areas of the regional development strategy a measure may be filed under; loaded from data/measure-themes.json.
CREATE TABLE measure_themes (
  id text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{0,39}$'),
  title_sv text NOT NULL,
  title_en text NOT NULL,
  description text NOT NULL DEFAULT ''
);

CREATE TABLE measures (
  id text COLLATE "C" PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
  title text NOT NULL CHECK (title <> ''),
  description text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('planned', 'decided', 'ongoing', 'completed', 'cancelled', 'in_plan', 'not_in_plan')),
  measure_type text,
  funder text,
  fund text,
  programme text,
  programming_period text,
  priority_axis text,
  thematic_objective text,
  themes text[] NOT NULL DEFAULT '{}',
  beneficiary text,
  start_date date,
  end_date date CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
  -- {"granted": {"sek", "source", "year"}, "paid": …, "total_eligible": …, "eu_share": …, "co_financing": …};
  -- an unknown amount is null, never 0.
  amounts jsonb NOT NULL DEFAULT '{}',
  granted_sek numeric GENERATED ALWAYS AS ((amounts -> 'granted' ->> 'sek')::numeric) STORED,
  scope text NOT NULL CHECK (scope IN ('local', 'multi_county', 'national')),
  source_url text,
  source_snapshot date,
  licence text,
  source_note text,
  -- What the layers draw: the own geometry where there is one (points and lines as a small buffer, since a layer
  -- holds one geometry type), else the union of the declared areas; display_basis says which.
  display_geom geometry(MultiPolygon, 3006),
  display_basis text NOT NULL DEFAULT 'none' CHECK (display_basis IN ('own', 'own_buffered', 'declared_areas', 'none')),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  deleted_at timestamptz
);

CREATE INDEX measures_display_geom_idx ON measures USING gist (display_geom);
CREATE INDEX measures_themes_idx ON measures USING gin (themes);

CREATE TABLE measure_links (
  measure_id text COLLATE "C" NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
  position integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('impact_area', 'site', 'route', 'programme_area')),
  basis text NOT NULL CHECK (basis IN ('stated', 'derived_from_place_name', 'inferred', 'drawn')),
  -- A municipality (4 digits) or county (2 digits) code, or a geometry of the measure's own.
  area_code text COLLATE "C" CHECK (area_code ~ '^(\d{2}|\d{4})$'),
  -- The measure's share given to this area (equal share over every area the source lists, inside the county or
  -- not); null means an equal share over the measure's declared areas.
  weight numeric CHECK (weight > 0 AND weight <= 1),
  geom geometry(Geometry, 3006),
  note text,
  PRIMARY KEY (measure_id, position),
  CHECK ((area_code IS NULL) <> (geom IS NULL))
);

CREATE INDEX measure_links_area_idx ON measure_links (area_code);
CREATE INDEX measure_links_geom_idx ON measure_links USING gist (geom);

CREATE TABLE measure_versions (
  measure_id text COLLATE "C" NOT NULL,
  version integer NOT NULL,
  operation text NOT NULL CHECK (operation IN ('create', 'update', 'delete', 'import')),
  changed_at timestamptz NOT NULL,
  changed_by text NOT NULL,
  -- The record as GET /api/measures/{id} returned it right after the change.
  record jsonb NOT NULL,
  PRIMARY KEY (measure_id, version)
);

CREATE INDEX measure_versions_time_idx ON measure_versions (changed_at);

-- The union of declared areas, kept per set of codes: most measures declare one of a few sets (a whole county,
-- one municipality), and a union of municipality boundaries costs far more than an edit should.
CREATE TABLE measure_area_unions (
  codes text COLLATE "C" PRIMARY KEY,
  geom geometry(MultiPolygon, 3006) NOT NULL,
  boundaries_version bigint NOT NULL
);

-- The share of each measure that falls to each municipality, for the attribution rules of the summaries: a declared
-- municipality gets its weight (or an equal share of the declared areas); a declared county shares its part equally
-- among its municipalities; a measure with only geometries of its own is shared by area (polygons), length (lines)
-- or number of points inside each municipality. Computed per measure when it is written (measure_refresh_shares)
-- and kept in measure_municipality_shares, so that summaries and filters read a small table.
CREATE VIEW measure_municipality_shares_computed AS
WITH declared AS (
  SELECT l.measure_id, l.area_code,
         coalesce(l.weight, 1.0 / count(*) OVER (PARTITION BY l.measure_id)) AS share
  FROM measure_links l
  WHERE l.area_code IS NOT NULL
), municipalities AS (
  SELECT fid AS kom_kod, geom FROM layer_features WHERE layer_id = 'municipalities'
), own AS (
  SELECT l.measure_id, ST_Union(l.geom) AS geom
  FROM measure_links l
  WHERE l.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM declared d WHERE d.measure_id = l.measure_id)
  GROUP BY l.measure_id
)
SELECT d.measure_id, d.area_code AS kom_kod, d.share
FROM declared d WHERE length(d.area_code) = 4
UNION ALL
SELECT d.measure_id, m.kom_kod, d.share / count(*) OVER (PARTITION BY d.measure_id, d.area_code)
FROM declared d JOIN municipalities m ON left(m.kom_kod, 2) = d.area_code
WHERE length(d.area_code) = 2
UNION ALL
SELECT o.measure_id, m.kom_kod,
       CASE ST_Dimension(o.geom)
         WHEN 2 THEN (ST_Area(ST_Intersection(o.geom, m.geom)) / nullif(ST_Area(o.geom), 0))::numeric
         WHEN 1 THEN (ST_Length(ST_Intersection(o.geom, m.geom)) / nullif(ST_Length(o.geom), 0))::numeric
         ELSE ST_NPoints(ST_Intersection(o.geom, m.geom))::numeric / nullif(ST_NPoints(o.geom), 0)
       END
FROM own o JOIN municipalities m ON ST_Intersects(o.geom, m.geom);

CREATE TABLE measure_municipality_shares (
  measure_id text COLLATE "C" NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
  kom_kod text COLLATE "C" NOT NULL,
  share numeric NOT NULL,
  PRIMARY KEY (measure_id, kom_kod)
);

CREATE INDEX measure_municipality_shares_kom_kod_idx ON measure_municipality_shares (kom_kod);

CREATE FUNCTION measure_refresh_shares(refreshed text) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM measure_municipality_shares WHERE measure_id = refreshed;
  INSERT INTO measure_municipality_shares (measure_id, kom_kod, share)
  SELECT measure_id, kom_kod, sum(share) FROM measure_municipality_shares_computed
  WHERE measure_id = refreshed AND share > 0 GROUP BY measure_id, kom_kod;
$$;

-- A layer holds one geometry type, and maps show measures as areas: a site is drawn as a 250 m disc and a route
-- as a 100 m band around it, so that every measure can be seen and clicked (display_basis 'own_buffered' says so).
CREATE FUNCTION measure_display_shape(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ST_Multi(CASE ST_Dimension(g)
    WHEN 2 THEN ST_CollectionExtract(g, 3)
    WHEN 1 THEN ST_Buffer(g, 100)
    ELSE ST_Buffer(g, 250) END)
$$;

-- A measure as the REST API returns it and as its history keeps it: attributes, typed amounts (null when unknown),
-- provenance and links (geometries as GeoJSON in WGS 84), with the version that is its ETag.
CREATE FUNCTION measure_document(measure_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', m.id, 'title', m.title, 'description', m.description, 'status', m.status, 'measure_type', m.measure_type,
    'funder', m.funder, 'fund', m.fund, 'programme', m.programme, 'programming_period', m.programming_period,
    'priority_axis', m.priority_axis, 'thematic_objective', m.thematic_objective, 'themes', to_jsonb(m.themes),
    'beneficiary', m.beneficiary, 'start_date', m.start_date, 'end_date', m.end_date,
    'amounts', (SELECT jsonb_object_agg(k, m.amounts -> k)
                FROM unnest(ARRAY['granted', 'paid', 'total_eligible', 'eu_share', 'co_financing']) AS k),
    'scope', m.scope,
    'source', jsonb_build_object('url', m.source_url, 'snapshot', m.source_snapshot, 'licence', m.licence, 'note', m.source_note),
    'links', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'kind', l.kind, 'basis', l.basis, 'area_code', l.area_code, 'weight', l.weight, 'note', l.note,
               'geometry', ST_AsGeoJSON(ST_Transform(l.geom, 4326), 7, 0)::jsonb) ORDER BY l.position)
      FROM measure_links l WHERE l.measure_id = m.id), '[]'::jsonb),
    'display_basis', m.display_basis,
    'version', m.version,
    'created_at', m.created_at, 'updated_at', m.updated_at, 'updated_by', m.updated_by,
    'deleted', m.deleted_at IS NOT NULL)
  FROM measures m WHERE m.id = measure_id
$$;

-- The flat properties of a measure, as the 'measures' layer, CSV and GeoJSON lists show them and as QGIS edits them.
CREATE FUNCTION measure_properties(m measures) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', m.id, 'title', m.title, 'status', m.status, 'programme', m.programme, 'fund', m.fund, 'funder', m.funder,
    'themes', array_to_string(m.themes, ','), 'measure_type', m.measure_type,
    'programming_period', m.programming_period, 'priority_axis', m.priority_axis,
    'thematic_objective', m.thematic_objective, 'beneficiary', m.beneficiary,
    'start_date', m.start_date::text, 'end_date', m.end_date::text,
    'granted_sek', m.granted_sek,
    'paid_sek', (m.amounts -> 'paid' ->> 'sek')::numeric,
    'total_eligible_sek', (m.amounts -> 'total_eligible' ->> 'sek')::numeric,
    'eu_share_sek', (m.amounts -> 'eu_share' ->> 'sek')::numeric,
    'co_financing_sek', (m.amounts -> 'co_financing' ->> 'sek')::numeric,
    'amount_source', m.amounts -> 'granted' ->> 'source',
    'amount_year', (m.amounts -> 'granted' ->> 'year')::integer,
    'scope', m.scope,
    'municipalities', (SELECT string_agg(l.area_code, ',' ORDER BY l.position) FROM measure_links l
                       WHERE l.measure_id = m.id AND l.area_code IS NOT NULL),
    'geometry_basis', m.display_basis, 'source_url', m.source_url, 'licence', m.licence,
    'description', m.description, 'version', m.version,
    'updated_at', to_char(m.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;

-- What an edit may change in the layers, before and after it: the measure's places (measure-links) and what the
-- summary counts (amount, scope, whether it lives, its shares). An edit of a title or a status leaves both alone,
-- and the layers built from them need no rewrite.
CREATE FUNCTION measure_change_keys(measure text) RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT ARRAY[
    (SELECT coalesce(string_agg(concat_ws(',', position, kind, basis, area_code, weight, note, md5(ST_AsEWKB(geom))), ';' ORDER BY position), '')
     FROM measure_links WHERE measure_id = measure),
    (SELECT concat_ws(',', granted_sek, scope, deleted_at IS NULL) FROM measures WHERE id = measure) || ':'
      || (SELECT coalesce(string_agg(kom_kod || '=' || share, ';' ORDER BY kom_kod), '') FROM measure_municipality_shares WHERE measure_id = measure)]
$$;
