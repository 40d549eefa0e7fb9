-- The target polygons cut into pieces of at most 256 vertices: a point tested against a piece touches a few
-- hundred vertices instead of the thousands of a municipality with its coast and lakes, and the pieces' small
-- boxes let the index reject most candidates outright.
CREATE TEMP TABLE analysis_target_parts ON COMMIT DROP AS
SELECT fid, ST_Subdivide(geom, 256) AS geom FROM analysis_target;
CREATE INDEX ON analysis_target_parts USING gist (geom);
ANALYZE analysis_target_parts;
