-- Pieces merged by the values of the dissolve attributes ($1; none: everything into one feature). A merged
-- feature's share of A is its size over the total size of the A features it draws on (likewise for B).
-- $2 geometry family, $3 name of the size attribute (null for points), $4 attribute names this operation
-- does not produce (removed).
WITH pieces AS (
  SELECT p.a_fid, p.b_fid, p.geom,
         coalesce(a.properties, '{}') || coalesce(b.properties, '{}')
           || jsonb_build_object('a_fid', p.a_fid, 'b_fid', p.b_fid) AS properties
  FROM analysis_pieces p
  LEFT JOIN analysis_a a ON a.fid = p.a_fid
  LEFT JOIN analysis_b b ON b.fid = p.b_fid
), keyed AS (
  SELECT (SELECT coalesce(jsonb_object_agg(k, properties -> k), '{}') FROM unnest($1::text[]) AS k) AS key,
         a_fid, b_fid, geom
  FROM pieces
), merged AS (
  SELECT key,
         analysis_union(array_agg(geom), $2::int) AS geom,
         array_agg(DISTINCT a_fid) FILTER (WHERE a_fid IS NOT NULL) AS a_fids,
         array_agg(DISTINCT b_fid) FILTER (WHERE b_fid IS NOT NULL) AS b_fids
  FROM keyed
  GROUP BY key
), sized AS (
  SELECT m.*,
         CASE $2::int WHEN 3 THEN ST_Area(m.geom) WHEN 2 THEN ST_Length(m.geom) END AS size,
         (SELECT sum(a.measure) FROM analysis_a a WHERE a.fid = ANY(m.a_fids)) AS a_size,
         (SELECT sum(b.measure) FROM analysis_b b WHERE b.fid = ANY(m.b_fids)) AS b_size
  FROM merged m
  WHERE NOT ST_IsEmpty(m.geom)
)
INSERT INTO analysis_result (ordinal, fid, properties, geom)
SELECT n, n::text, properties, geom
FROM (
  SELECT row_number() OVER (ORDER BY key) AS n,
         (key || CASE WHEN $3::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(
                   $3::text, round(size::numeric, 3),
                   'share_of_a', round((size / nullif(a_size, 0))::numeric, 9),
                   'share_of_b', round((size / nullif(b_size, 0))::numeric, 9)) END
         ) - $4::text[] AS properties,
         ST_Multi(geom) AS geom
  FROM sized
) numbered;
