-- Every pair of an A and a B feature that meet gives the part they share. $1 geometry family of the result
-- (ST_CollectionExtract code).
-- Pairs are found by their boxes alone: an intersection of two polygons that do not meet is cheap and empty,
-- while an ST_Intersects test on every box-overlapping pair costs a third of the whole overlay on the
-- municipalities. MATERIALIZED keeps PostgreSQL from computing each intersection twice (filter and output).
WITH pieces AS MATERIALIZED (
  SELECT a.fid AS a_fid, b.fid AS b_fid, analysis_intersection(a.geom, b.geom, $1::int) AS geom
  FROM analysis_a a
  JOIN analysis_b b ON a.geom && b.geom
)
INSERT INTO analysis_pieces (a_fid, b_fid, geom)
SELECT a_fid, b_fid, geom FROM pieces WHERE NOT ST_IsEmpty(geom);
