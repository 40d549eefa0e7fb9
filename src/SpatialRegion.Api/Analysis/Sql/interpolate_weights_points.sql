-- Population (or any weight attribute $1) in each zone, from weight points such as tätorter: each point's
-- value goes whole to the one zone that holds it (the first, should it lie on a border between zones).
INSERT INTO analysis_zone_weights (source_fid, target_fid, weight)
SELECT source_fid, target_fid, sum(value)
FROM (
  SELECT DISTINCT ON (w.fid) z.source_fid, z.target_fid, (w.properties ->> $1::text)::float8 AS value
  FROM analysis_weights w
  JOIN analysis_zones z ON ST_Intersects(z.geom, w.geom)
  ORDER BY w.fid, z.source_fid, z.target_fid
) assigned
GROUP BY source_fid, target_fid;
