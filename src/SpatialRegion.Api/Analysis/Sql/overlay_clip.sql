-- Each A feature cut to the area the B features cover; one result per A feature that meets any B.
-- $1 geometry family of the result, $2 that of B.
WITH clipped AS MATERIALIZED (
  SELECT a.fid, analysis_intersection(a.geom, cover.geom, $1::int) AS geom
  FROM analysis_a a
  CROSS JOIN LATERAL (
    SELECT analysis_union(array_agg(b.geom), $2::int) AS geom FROM analysis_b b WHERE ST_Intersects(a.geom, b.geom)
  ) cover
  WHERE cover.geom IS NOT NULL
)
INSERT INTO analysis_pieces (a_fid, b_fid, geom)
SELECT fid, NULL, geom FROM clipped WHERE NOT ST_IsEmpty(geom);
