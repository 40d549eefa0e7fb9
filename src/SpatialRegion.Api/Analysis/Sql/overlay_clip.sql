-- Each A feature cut to the area the B features cover; one result per A feature that meets any B.
-- $1 grid size for OverlayNG (-1: exact), $2 geometry family of the result.
WITH clipped AS MATERIALIZED (
  SELECT a.fid, ST_CollectionExtract(ST_Intersection(a.geom, cover.geom, $1::float8), $2::int) AS geom
  FROM analysis_a a
  CROSS JOIN LATERAL (
    SELECT ST_Union(b.geom, $1::float8) AS geom FROM analysis_b b WHERE ST_Intersects(a.geom, b.geom)
  ) cover
  WHERE cover.geom IS NOT NULL
)
INSERT INTO analysis_pieces (a_fid, b_fid, geom)
SELECT fid, NULL, geom FROM clipped WHERE NOT ST_IsEmpty(geom);
