// The small map of the OGC HTML pages (a collection, a page of items, one feature), as other OGC API servers draw
// them: the features of the page as GeoJSON, or the collection's vector tiles, over the county and municipality
// outlines, fitted to what is shown.
const maplibregl = window.maplibregl;
maplibregl.setWorkerUrl('/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js');

const container = document.getElementById('ogc-map');
const { ogcBase, collection, geojson, geometryType } = container.dataset;
const bbox = container.dataset.bbox ? JSON.parse(container.dataset.bbox) : null;
const tiles = (id) => [`${ogcBase}/collections/${encodeURIComponent(id)}/tiles/WebMercatorQuad/{z}/{y}/{x}`];

const map = new maplibregl.Map({
  container,
  style: {
    version: 8,
    sources: { municipalities: { type: 'vector', tiles: tiles('municipalities'), maxzoom: 14 } },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } },
      { id: 'municipalities', type: 'line', source: 'municipalities', 'source-layer': 'municipalities', paint: { 'line-color': '#8a939c', 'line-width': 0.7 } },
    ],
  },
  bounds: bbox ?? [[11.8, 61.5], [17.3, 65.2]],
  fitBoundsOptions: { padding: 20, maxZoom: 13 },
  canvasContextAttributes: { preserveDrawingBuffer: true },
});
map.addControl(new maplibregl.NavigationControl(), 'top-right');

function addFeatureLayers(source, sourceLayer) {
  const common = { source, ...(sourceLayer ? { 'source-layer': sourceLayer } : {}) };
  if (geometryType.endsWith('Point')) {
    map.addLayer({ ...common, id: 'features-point', type: 'circle', paint: { 'circle-color': '#0b5cad', 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
  } else {
    if (geometryType.endsWith('Polygon')) {
      map.addLayer({ ...common, id: 'features-fill', type: 'fill', paint: { 'fill-color': '#0b5cad', 'fill-opacity': 0.25 } });
    }
    map.addLayer({ ...common, id: 'features-line', type: 'line', paint: { 'line-color': '#0b5cad', 'line-width': 1.5 } });
  }
}

map.on('load', async () => {
  if (geojson) {
    const response = await fetch(geojson, { headers: { Accept: 'application/geo+json' } });
    const data = await response.json();
    map.addSource('features', { type: 'geojson', data });
    addFeatureLayers('features');
    const box = new maplibregl.LngLatBounds();
    const extend = (c) => (typeof c[0] === 'number' ? box.extend(c) : c.forEach(extend));
    (data.features ?? [data]).forEach((f) => f.geometry && extend(f.geometry.coordinates));
    if (!box.isEmpty()) map.fitBounds(box, { padding: 20, maxZoom: 13, duration: 0 });
  } else {
    map.addSource('features', { type: 'vector', tiles: tiles(collection), maxzoom: 14 });
    addFeatureLayers('features', collection);
  }
  map.once('idle', () => { container.dataset.mapReady = 'true'; });
  map.triggerRepaint();
});
