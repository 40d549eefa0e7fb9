-- Overlay functions for the analyses that survive GEOS failures.
--
-- OverlayNG (GEOS >= 3.9) rarely fails on valid input, but nearly coincident boundaries of independently
-- digitised layers can still end in a TopologyException ("found non-noded intersection"). Such a failure is
-- an internal error (XX000) that aborts the whole statement, and client drivers treat the connection as
-- broken after it. These functions catch it per pair of geometries, inside the database, and compute that
-- pair again: snapped to a 1 mm, 1 cm and 10 cm grid (OverlayNG snap-rounding), and finally with the inputs
-- repaired one by one with ST_MakeValid. A result that needed a retry is announced with a NOTICE (prefix
-- "analysis-retry:") that the service turns into a warning. Only when every attempt fails does the function
-- raise SR001, an ordinary error that leaves the connection usable.
--
-- The first attempt uses OverlayNG's own floating precision (grid size -1), so a result that needs no retry
-- is exactly what ST_Intersection, ST_Difference or ST_UnaryUnion gives. Each attempt is a subtransaction,
-- which is why these functions are not PARALLEL SAFE.

CREATE FUNCTION analysis_overlay(operation text, inputs geometry[], family integer) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  grid float8;
  failure text;
  result geometry;
BEGIN
  IF inputs IS NULL OR cardinality(inputs) = 0 OR array_position(inputs, NULL) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  FOR attempt IN 1..2 LOOP
    FOREACH grid IN ARRAY ARRAY[-1, 0.001, 0.01, 0.1]::float8[] LOOP
      BEGIN
        result := ST_CollectionExtract(
          CASE operation
            WHEN 'intersection' THEN ST_Intersection(inputs[1], inputs[2], grid)
            WHEN 'difference' THEN ST_Difference(inputs[1], inputs[2], grid)
            WHEN 'union' THEN ST_UnaryUnion(ST_Collect(inputs), grid)
          END, family);
      EXCEPTION WHEN internal_error THEN
        failure := SQLERRM;
        CONTINUE;
      END;
      IF failure IS NOT NULL THEN
        RAISE NOTICE USING MESSAGE = format('analysis-retry:%s|%s',
          concat_ws(', ', CASE WHEN attempt = 2 THEN 'repaired (ST_MakeValid)' END,
                          CASE WHEN grid > 0 THEN format('snapped to a %s m grid', grid) END),
          failure);
      END IF;
      RETURN result;
    END LOOP;
    inputs := ARRAY(SELECT ST_MakeValid(g) FROM unnest(inputs) AS g);
  END LOOP;
  RAISE EXCEPTION 'GEOS could not compute the %: %', operation, failure USING ERRCODE = 'SR001';
END
$$;

CREATE FUNCTION analysis_intersection(a geometry, b geometry, family integer) RETURNS geometry
LANGUAGE sql IMMUTABLE AS $$ SELECT analysis_overlay('intersection', ARRAY[a, b], family) $$;

CREATE FUNCTION analysis_difference(a geometry, b geometry, family integer) RETURNS geometry
LANGUAGE sql IMMUTABLE AS $$ SELECT analysis_overlay('difference', ARRAY[a, b], family) $$;

-- The union of many geometries: analysis_union(array_agg(geom), 3).
CREATE FUNCTION analysis_union(geometries geometry[], family integer) RETURNS geometry
LANGUAGE sql IMMUTABLE AS $$ SELECT analysis_overlay('union', geometries, family) $$;
