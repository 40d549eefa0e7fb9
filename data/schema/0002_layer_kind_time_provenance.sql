-- Layers are not only imported files: indicator layers are written from the indicator store and analysis
-- results from an analysis. The kind tells them apart; provenance records what a derived layer was made from.
ALTER TABLE layers
  ADD COLUMN kind text NOT NULL DEFAULT 'imported' CHECK (kind IN ('imported', 'indicator', 'analysis')),
  ADD COLUMN time_property text,
  ADD COLUMN provenance jsonb;

COMMENT ON COLUMN layers.time_property IS 'Property holding an ISO 8601 date or date-time: the temporal extent of each feature (OGC datetime).';
COMMENT ON COLUMN layers.provenance IS 'For derived layers: inputs, parameters, input layer versions and when it was made.';
