-- The intersections of source and target polygons, with their areas: the area weights of areal interpolation
-- (a_ij in tobler's notation). Pairs are found by their boxes alone, as in the overlay: an empty intersection
-- costs less than testing every pair first. $1 whether the piece geometries are needed later (for population
-- weights) or only their areas.
CREATE TEMP TABLE analysis_pieces ON COMMIT DROP AS
WITH pieces AS MATERIALIZED (
  SELECT s.fid AS source_fid, t.fid AS target_fid, analysis_intersection(s.geom, t.geom, 3) AS geom
  FROM analysis_source s
  JOIN analysis_target t ON s.geom && t.geom
)
SELECT source_fid, target_fid, CASE WHEN $1::boolean THEN geom END AS geom, ST_Area(geom) AS area
FROM pieces
WHERE ST_Area(geom) > 0;
