-- The parts of A outside every B feature and, when $2, of B outside every A feature. Each feature is set
-- against the features of the other side that meet it: the index does the pairing, and each difference is
-- against a small local union. $1 geometry family of the result, $3 and $4 those of A and B.
WITH sides AS (
  SELECT a.fid AS a_fid, NULL::text AS b_fid, a.geom, $4::int AS others_family,
         (SELECT array_agg(b.geom) FROM analysis_b b WHERE ST_Intersects(a.geom, b.geom)) AS others
  FROM analysis_a a
  UNION ALL
  SELECT NULL, b.fid, b.geom, $3::int,
         (SELECT array_agg(a.geom) FROM analysis_a a WHERE ST_Intersects(b.geom, a.geom))
  FROM analysis_b b
  WHERE $2::boolean
), remainders AS MATERIALIZED (
  SELECT a_fid, b_fid,
         CASE WHEN others IS NULL THEN ST_CollectionExtract(geom, $1::int)
              ELSE analysis_difference(geom, analysis_union(others, others_family), $1::int) END AS geom
  FROM sides
)
INSERT INTO analysis_pieces (a_fid, b_fid, geom)
SELECT a_fid, b_fid, geom FROM remainders WHERE NOT ST_IsEmpty(geom);
