-- Pairs (target, source) where the target polygon contains the source feature. A source inside one piece of
-- the subdivided target is contained; one that lies on a cut line, or spans pieces, is checked against the
-- whole polygon (the cut lines are not the polygon's boundary).
CREATE TEMP TABLE analysis_matches ON COMMIT DROP AS
SELECT DISTINCT p.fid AS target_fid, s.fid AS source_fid
FROM analysis_source s
JOIN analysis_target_parts p ON ST_Intersects(p.geom, s.geom)
JOIN analysis_target t ON t.fid = p.fid
WHERE ST_Contains(p.geom, s.geom) OR ST_Contains(t.geom, s.geom);
