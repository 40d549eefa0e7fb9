-- Each target with its kept attributes, then the statistics of every join (the defaults, 0 for counts and
-- sums, where nothing matched). $1 the defaults.
INSERT INTO analysis_result (ordinal, fid, properties, geom)
SELECT row_number() OVER (ORDER BY t.fid), t.fid, t.properties || $1::jsonb || coalesce(s.stats, '{}'), ST_Multi(t.geom)
FROM analysis_target t
LEFT JOIN LATERAL (
  SELECT jsonb_object_agg(e.key, e.value) AS stats
  FROM analysis_join_stats j CROSS JOIN LATERAL jsonb_each(j.stats) e
  WHERE j.target_fid = t.fid
) s ON true;
