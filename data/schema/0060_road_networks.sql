-- Road networks: the routable graph of each network (edges with their end nodes, length and cost in seconds
-- each way) beside the layer registry. A network is also shown as layers of kind "network" (its lines and its
-- coverage), which the measures register's migration lists too, so both migrations leave the same constraint.
ALTER TABLE layers DROP CONSTRAINT IF EXISTS layers_kind_check;
ALTER TABLE layers ADD CONSTRAINT layers_kind_check CHECK (kind IN ('imported', 'indicator', 'analysis', 'network', 'measure'));

CREATE TABLE road_networks (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  title text NOT NULL,
  -- Shares the layers' sequence: a network version is never reused, so cached results keyed on it cannot go stale.
  version bigint NOT NULL DEFAULT nextval('layer_version_seq'),
  speed_table text NOT NULL,
  speeds jsonb NOT NULL,
  sources jsonb NOT NULL,
  report jsonb NOT NULL,
  -- Where the network is detailed; origins outside it are reported apart. Null: detailed everywhere.
  detailed_area geometry(MultiPolygon, 3006),
  updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN road_networks.speeds IS 'The speed table the costs were computed with: {"class": km/h}.';

CREATE TABLE network_edges (
  network_id text NOT NULL REFERENCES road_networks (id) ON DELETE CASCADE,
  edge_id integer NOT NULL,
  source integer NOT NULL,
  target integer NOT NULL,
  road_class text NOT NULL,
  speed_kmh float8 NOT NULL,
  length_m float8 NOT NULL,
  -- Seconds source to target and back; negative where the road is one-way (pgRouting's convention).
  cost_s float8 NOT NULL,
  reverse_cost_s float8 NOT NULL,
  -- A connector added by the import to join an end to a road within the join tolerance.
  joined boolean NOT NULL DEFAULT false,
  geom geometry(LineString, 3006) NOT NULL,
  PRIMARY KEY (network_id, edge_id)
);

-- Snapping is a nearest-neighbour search (geom <-> point) within one network.
CREATE INDEX network_edges_geom_idx ON network_edges USING gist (network_id, geom);
