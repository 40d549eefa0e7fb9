-- The two renderings clients ask for most, kept with each feature: GeoJSON in WGS 84 (the default of the REST
-- API and of the OGC API in CRS84) and GML 3.2 in EPSG:3006, northing first (the WFS default). Rendering a
-- 1:1 million municipality layer costs PostGIS far more than reading the text, so a request for a page, a
-- bbox or a filter nobody asked before no longer redoes that work. Generated columns keep them in step with
-- the geometry whoever writes it. The GML carries the placeholder gml:id '@' that the WFS writer numbers.
ALTER TABLE layer_features
  ADD COLUMN geojson_wgs84 text GENERATED ALWAYS AS (ST_AsGeoJSON(geom_wgs84, 7, 0)) STORED,
  ADD COLUMN gml_3006 text GENERATED ALWAYS AS (ST_AsGML(3, ST_SetSRID(geom, 0), 3, 2 | 16, 'gml', '@')) STORED;
