-- The parts of A outside every B feature ($2) and of B outside every A feature ($3). Only the features of the
-- other side that meet a feature are merged and subtracted, so the index does the pairing and each difference
-- is against a small local union. $1 geometry family of the result, $4 and $5 those of A and B.
WITH a_outside_b AS MATERIALIZED (
  SELECT a.fid,
         CASE WHEN cover.geom IS NULL THEN ST_CollectionExtract(a.geom, $1::int)
              ELSE analysis_difference(a.geom, cover.geom, $1::int) END AS geom
  FROM analysis_a a
  CROSS JOIN LATERAL (
    SELECT analysis_union(array_agg(b.geom), $5::int) AS geom FROM analysis_b b WHERE ST_Intersects(a.geom, b.geom)
  ) cover
  WHERE $2::boolean
), b_outside_a AS MATERIALIZED (
  SELECT b.fid,
         CASE WHEN cover.geom IS NULL THEN ST_CollectionExtract(b.geom, $1::int)
              ELSE analysis_difference(b.geom, cover.geom, $1::int) END AS geom
  FROM analysis_b b
  CROSS JOIN LATERAL (
    SELECT analysis_union(array_agg(a.geom), $4::int) AS geom FROM analysis_a a WHERE ST_Intersects(b.geom, a.geom)
  ) cover
  WHERE $3::boolean
)
INSERT INTO analysis_pieces (a_fid, b_fid, geom)
SELECT fid, NULL, geom FROM a_outside_b WHERE NOT ST_IsEmpty(geom)
UNION ALL
SELECT NULL, fid, geom FROM b_outside_a WHERE NOT ST_IsEmpty(geom);
