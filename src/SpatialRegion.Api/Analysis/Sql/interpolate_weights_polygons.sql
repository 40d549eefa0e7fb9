-- Population (or any weight attribute $1) in each zone, from weight polygons such as 1 km grid squares: a
-- square's value is shared by the area of it that lies in the zone (all of it when it lies wholly inside).
-- Zones are subdivided pieces; their sums are the zone's.
INSERT INTO analysis_zone_weights (source_fid, target_fid, weight)
WITH shares AS MATERIALIZED (
  SELECT z.source_fid, z.target_fid,
         (w.properties ->> $1::text)::float8
           * CASE WHEN ST_CoveredBy(w.geom, z.geom) THEN 1
                  ELSE ST_Area(analysis_intersection(w.geom, z.geom, 3)) / w.measure END AS weight
  FROM analysis_zones z
  JOIN analysis_weights w ON ST_Intersects(w.geom, z.geom)
  WHERE w.measure > 0
)
SELECT source_fid, target_fid, sum(weight) FROM shares GROUP BY source_fid, target_fid;
