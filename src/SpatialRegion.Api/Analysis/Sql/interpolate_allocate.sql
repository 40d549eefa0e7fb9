-- Areal interpolation as in tobler's area_interpolate, with the weights w_ij of each source/target piece
-- (areas, or population for the dasymetric variants):
--   extensive, allocate_total:      v_j = sum_i v_i * w_ij / sum_k w_ik   (each source's value is spread whole)
--   extensive, not allocate_total:  v_j = sum_i v_i * w_ij / W_i          (W_i: weight of the whole source)
--   intensive:                      v_j = sum_i v_i * w_ij / sum_k w_kj   (a weighted mean over the target)
-- Where the weights of a source (or target) are all zero, say a municipality without any populated grid
-- square, its area weights are used instead, so that no value is lost.
-- $1 allocate_total, $2 kind of each variable ('extensive' | 'intensive'), $3 name of each variable.
INSERT INTO analysis_result (ordinal, fid, properties, geom)
WITH valued AS (
  SELECT p.source_fid, p.target_fid, p.area, coalesce(w.weight, 0) AS weight,
         v.variable, v.value, s.measure AS source_area, coalesce(sw.weight, 0) AS source_weight
  FROM analysis_pieces p
  JOIN analysis_values v ON v.fid = p.source_fid
  JOIN analysis_source s ON s.fid = p.source_fid
  LEFT JOIN analysis_zone_weights w ON w.source_fid = p.source_fid AND w.target_fid = p.target_fid
  LEFT JOIN analysis_source_weights sw ON sw.source_fid = p.source_fid
), shares AS (
  SELECT target_fid, variable, value,
         CASE WHEN $1::boolean THEN
                CASE WHEN sum(weight) OVER by_source > 0 THEN weight / sum(weight) OVER by_source
                     ELSE area / sum(area) OVER by_source END
              ELSE
                CASE WHEN source_weight > 0 THEN weight / source_weight ELSE area / source_area END
         END AS extensive_share,
         CASE WHEN sum(weight) OVER by_target > 0 THEN weight / sum(weight) OVER by_target
              ELSE area / sum(area) OVER by_target END AS intensive_share
  FROM valued
  WINDOW by_source AS (PARTITION BY variable, source_fid), by_target AS (PARTITION BY variable, target_fid)
), interpolated AS (
  SELECT target_fid, variable,
         sum(value * CASE ($2::text[])[variable] WHEN 'extensive' THEN extensive_share ELSE intensive_share END) AS value
  FROM shares
  GROUP BY target_fid, variable
), per_target AS (
  SELECT target_fid, jsonb_object_agg(($3::text[])[variable], round(value::numeric, 6)) AS values
  FROM interpolated
  GROUP BY target_fid
)
SELECT row_number() OVER (ORDER BY t.fid), t.fid, t.properties || coalesce(r.values, '{}'), ST_Multi(t.geom)
FROM analysis_target t
LEFT JOIN per_target r ON r.target_fid = t.fid;
