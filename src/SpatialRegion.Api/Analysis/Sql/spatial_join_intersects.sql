-- Pairs (target, source) where the source feature meets the target polygon anywhere, its boundary included;
-- a source on a shared border counts for both targets.
CREATE TEMP TABLE analysis_matches ON COMMIT DROP AS
SELECT DISTINCT p.fid AS target_fid, s.fid AS source_fid
FROM analysis_source s
JOIN analysis_target_parts p ON ST_Intersects(p.geom, s.geom);
