-- The parts of A outside every B feature ($3) and of B outside every A feature ($4).
-- Only the features of the other side that meet a feature are merged and subtracted, so the index does the
-- pairing and each difference is against a small local union.
-- $1 grid size for OverlayNG (-1: exact), $2 geometry family of the result.
WITH a_outside_b AS MATERIALIZED (
  SELECT a.fid,
         ST_CollectionExtract(CASE WHEN cover.geom IS NULL THEN a.geom ELSE ST_Difference(a.geom, cover.geom, $1::float8) END, $2::int) AS geom
  FROM analysis_a a
  CROSS JOIN LATERAL (
    SELECT ST_Union(b.geom, $1::float8) AS geom FROM analysis_b b WHERE ST_Intersects(a.geom, b.geom)
  ) cover
  WHERE $3::boolean
), b_outside_a AS MATERIALIZED (
  SELECT b.fid,
         ST_CollectionExtract(CASE WHEN cover.geom IS NULL THEN b.geom ELSE ST_Difference(b.geom, cover.geom, $1::float8) END, $2::int) AS geom
  FROM analysis_b b
  CROSS JOIN LATERAL (
    SELECT ST_Union(a.geom, $1::float8) AS geom FROM analysis_a a WHERE ST_Intersects(b.geom, a.geom)
  ) cover
  WHERE $4::boolean
)
INSERT INTO analysis_pieces (a_fid, b_fid, geom)
SELECT fid, NULL, geom FROM a_outside_b WHERE NOT ST_IsEmpty(geom)
UNION ALL
SELECT NULL, fid, geom FROM b_outside_a WHERE NOT ST_IsEmpty(geom);
