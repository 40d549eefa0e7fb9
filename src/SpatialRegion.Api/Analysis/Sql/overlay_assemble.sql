-- One result feature per piece, with the kept attributes of the A and B features it came from (already
-- prefixed when staged), their ids, its size and its share of each source feature's size.
-- $1 name of the size attribute (area_m2 or length_m; null for points), $2 geometry family,
-- $3 attribute names this operation does not produce (removed).
INSERT INTO analysis_result (ordinal, fid, properties, geom)
SELECT n, n::text, properties, geom
FROM (
  SELECT row_number() OVER (ORDER BY p.a_fid COLLATE "C" NULLS LAST, p.b_fid COLLATE "C" NULLS LAST) AS n,
         (coalesce(a.properties, '{}') || coalesce(b.properties, '{}')
          || jsonb_build_object('a_fid', p.a_fid, 'b_fid', p.b_fid)
          || CASE WHEN $1::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(
               $1::text, round(size.value::numeric, 3),
               'share_of_a', round((size.value / nullif(a.measure, 0))::numeric, 9),
               'share_of_b', round((size.value / nullif(b.measure, 0))::numeric, 9)) END
         ) - $3::text[] AS properties,
         ST_Multi(p.geom) AS geom
  FROM analysis_pieces p
  LEFT JOIN analysis_a a ON a.fid = p.a_fid
  LEFT JOIN analysis_b b ON b.fid = p.b_fid
  CROSS JOIN LATERAL (
    SELECT CASE $2::int WHEN 3 THEN ST_Area(p.geom) WHEN 2 THEN ST_Length(p.geom) END AS value
  ) size
) numbered;
