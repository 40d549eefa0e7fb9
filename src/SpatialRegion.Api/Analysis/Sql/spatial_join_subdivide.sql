-- The target polygons cut into pieces of at most 1024 vertices (ST_Subdivide): a source tested against a piece
-- touches a few hundred vertices instead of the thousands of a municipality with its coast and lakes, and the
-- pieces' small boxes let the index reject most candidates outright. Measured on the 290 municipalities
-- (122 000 vertices) and the 6 554 grid squares: 1 024 costs a quarter of what 256 costs to cut, and joins
-- the grid 5 times faster than whole polygons (256 joins a little faster still, but not by what it costs).
CREATE TEMP TABLE analysis_target_parts ON COMMIT DROP AS
SELECT fid, ST_Subdivide(geom, 1024) AS geom FROM analysis_target;
CREATE INDEX ON analysis_target_parts USING gist (geom);
ANALYZE analysis_target_parts;
