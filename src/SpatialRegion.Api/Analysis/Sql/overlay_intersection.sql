-- Every pair of an A and a B feature that meet gives the part they share. $1 geometry family of the result
-- (ST_CollectionExtract code). MATERIALIZED keeps PostgreSQL from inlining the overlay into both the filter
-- and the output, which would compute every intersection twice.
WITH pieces AS MATERIALIZED (
  SELECT a.fid AS a_fid, b.fid AS b_fid, analysis_intersection(a.geom, b.geom, $1::int) AS geom
  FROM analysis_a a
  JOIN analysis_b b ON ST_Intersects(a.geom, b.geom)
)
INSERT INTO analysis_pieces (a_fid, b_fid, geom)
SELECT a_fid, b_fid, geom FROM pieces WHERE NOT ST_IsEmpty(geom);
