-- Each source feature goes to the one target that holds its centroid (the first by id when the centroid lies
-- on a shared border), so that a sum over all targets counts every source once: the usual way to assign
-- grid squares to areas.
CREATE TEMP TABLE analysis_matches ON COMMIT DROP AS
SELECT DISTINCT ON (s.fid) p.fid AS target_fid, s.fid AS source_fid
FROM analysis_source s
JOIN analysis_target_parts p ON ST_Intersects(p.geom, ST_Centroid(s.geom))
ORDER BY s.fid, p.fid;
