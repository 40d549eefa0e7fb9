// The map page: the service's own vector tiles drawn with MapLibre GL JS (served by the service itself), a layer
// list grouped by kind, indicator choropleths classified by the API, popups, a table beside the map, and the
// whole state in the address so that a link shows the same map. Hooks for catchments, accessibility and measures
// appear only when the service offers them.

const maplibregl = window.maplibregl;
maplibregl.setWorkerUrl('/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js');

const origin = window.location.origin;
const jamtland = [[11.8, 61.5], [17.3, 65.2]];
const palette = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704', '#4a1500', '#2d0c00', '#1a0700', '#100400', '#080200', '#040100', '#000000'];
const overlayColours = ['#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#1f78b4', '#b2182b', '#4d4d4d'];
const bandColours = { 10: '#1a9850', 20: '#fee08b', 30: '#d73027' };

const text = {
  sv: {
    home: 'Start', title: 'Karta över Region Jämtland Härjedalen', controls: 'Kartans innehåll', indicator: 'Indikator',
    indicatorChoice: 'Visa indikator', none: '(ingen)', period: 'Period', layers: 'Lager', measures: 'Insatser', programme: 'Program',
    theme: 'Tema', status: 'Status', all: 'Alla', catchment: 'Upptagningsområde',
    catchmentHelp: 'Välj knappen och klicka i kartan: 10, 20 och 30 minuter med befolkning.', catchmentPick: 'Klicka i kartan',
    accessibility: 'Tillgänglighet', facility: 'Minuter till närmaste', show: 'Visa', table: 'Tabell', map: 'Karta',
    language: 'English', area: 'Område', value: 'Värde', class: 'Klass', minutes: 'Minuter', population: 'Befolkning',
    noValue: 'inget värde', loading: 'Laddar …', failed: 'Kunde inte hämta', features: 'objekt', source: 'Källa',
  },
  en: {
    home: 'Home', title: 'Map of Region Jämtland Härjedalen', controls: 'Map contents', indicator: 'Indicator',
    indicatorChoice: 'Show indicator', none: '(none)', period: 'Period', layers: 'Layers', measures: 'Measures', programme: 'Programme',
    theme: 'Theme', status: 'Status', all: 'All', catchment: 'Catchment',
    catchmentHelp: 'Press the button and click the map: 10, 20 and 30 minutes with population.', catchmentPick: 'Click the map',
    accessibility: 'Accessibility', facility: 'Minutes to the nearest', show: 'Show', table: 'Table', map: 'Map',
    language: 'Svenska', area: 'Area', value: 'Value', class: 'Class', minutes: 'Minutes', population: 'Population',
    noValue: 'no value', loading: 'Loading …', failed: 'Could not fetch', features: 'features', source: 'Source',
  },
};

const state = readState();
let map;
let catalogue;
let layers = [];
let indicators = [];
let choropleth = null; // { indicator, periods, answer } of the indicator on show
let picking = false;

const $ = (id) => document.getElementById(id);
const t = (key) => text[state.lang][key] ?? key;

function el(name, attributes = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  if (!response.ok) throw new Error(`${t('failed')} ${url}: ${response.status}`);
  return response.json();
}

// The address: #map=zoom/lat/lon&layers=a,b&indicator=id&period=p&lang=en
function readState() {
  const p = new URLSearchParams(window.location.hash.slice(1));
  const [zoom, lat, lon] = (p.get('map') ?? '').split('/').map(Number);
  return {
    view: Number.isFinite(zoom) && Number.isFinite(lat) && Number.isFinite(lon) ? { zoom, center: [lon, lat] } : null,
    layers: new Set((p.get('layers') ?? '').split(',').filter(Boolean)),
    layersGiven: p.has('layers'),
    indicator: p.get('indicator') ?? 'population',
    period: p.get('period'),
    lang: p.get('lang') === 'en' ? 'en' : 'sv',
  };
}

function writeState() {
  const c = map.getCenter();
  const p = new URLSearchParams();
  p.set('map', `${map.getZoom().toFixed(2)}/${c.lat.toFixed(4)}/${c.lng.toFixed(4)}`);
  p.set('layers', [...state.layers].join(','));
  p.set('indicator', state.indicator || '');
  if (state.period) p.set('period', state.period);
  p.set('lang', state.lang);
  window.history.replaceState(null, '', `#${p.toString().replaceAll('%2F', '/').replaceAll('%2C', ',')}`);
}

const tileUrl = (layerId, query = '') =>
  `${origin}/ogc/collections/${encodeURIComponent(layerId)}/tiles/WebMercatorQuad/{z}/{y}/{x}${query ? `?${query}` : ''}`;

function layerTitle(layer) {
  const own = catalogue.titles?.[layer.id]?.[state.lang];
  if (own) return own;
  const indicator = indicators.find((i) => i.layerId === layer.id);
  return indicator ? indicator.title[state.lang] : layer.title;
}

function groupOf(layer) {
  return catalogue.groups.find((g) => g.layers?.includes(layer.id))
    ?? catalogue.groups.find((g) => g.kinds?.includes(layer.kind))
    ?? catalogue.groups.find((g) => g.id === 'statistics');
}

// Layers drawn from the service's tiles: polygons as a pale fill with an outline, lines, points as circles.
function addLayerStyle(layer, colour, visible) {
  const id = `layer-${layer.id}`;
  if (map.getSource(id)) return;
  map.addSource(id, { type: 'vector', tiles: [tileUrl(layer.id)], minzoom: 0, maxzoom: 14, attribution: layer.source });
  const visibility = visible ? 'visible' : 'none';
  const common = { source: id, 'source-layer': layer.id, layout: { visibility }, metadata: { layerId: layer.id } };
  if (layer.geometryType.endsWith('Polygon')) {
    const fill = layer.id === 'municipalities' || layer.id === 'counties' ? '#ffffff' : colour;
    const before = map.getStyle().layers.find((l) => l.metadata?.layerId && l.type !== 'fill')?.id;
    map.addLayer({ ...common, id: `${id}-fill`, type: 'fill', paint: { 'fill-color': fill, 'fill-opacity': fill === colour ? 0.35 : 0.7 } }, before);
    map.addLayer({ ...common, id: `${id}-line`, type: 'line', paint: { 'line-color': colour, 'line-width': 1 } });
  } else if (layer.geometryType.endsWith('LineString')) {
    map.addLayer({ ...common, id: `${id}-line`, type: 'line', paint: { 'line-color': colour, 'line-width': 1.5 } });
  } else {
    map.addLayer({
      ...common, id: `${id}-circle`, type: 'circle',
      paint: { 'circle-color': colour, 'circle-radius': 5, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 },
    });
  }
}

function styleIds(layerId) {
  return map.getStyle().layers.filter((l) => l.metadata?.layerId === layerId && !l.metadata.choropleth).map((l) => l.id);
}

function setLayerVisible(layerId, visible) {
  for (const id of styleIds(layerId)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  if (visible) state.layers.add(layerId); else state.layers.delete(layerId);
  writeState();
}

function renderLayerList() {
  const section = $('layer-list');
  section.querySelectorAll('fieldset').forEach((f) => f.remove());
  for (const group of catalogue.groups) {
    const members = layers.filter((l) => groupOf(l) === group);
    if (members.length === 0) continue;
    const fieldset = el('fieldset', { 'data-group': group.id }, el('legend', { text: group.title[state.lang] }));
    for (const layer of members) {
      const box = el('input', { type: 'checkbox', id: `toggle-${layer.id}`, 'data-layer': layer.id });
      box.checked = state.layers.has(layer.id);
      box.addEventListener('change', () => setLayerVisible(layer.id, box.checked));
      const colour = map.getPaintProperty(styleIds(layer.id)[0], styleIds(layer.id)[0].endsWith('circle') ? 'circle-color' : styleIds(layer.id)[0].endsWith('fill') ? 'fill-color' : 'line-color');
      fieldset.append(el('label', { for: box.id }, box, el('span', { class: 'swatch', style: `background:${colour}` }),
        el('span', { text: `${layerTitle(layer)} (${layer.featureCount})` })));
    }
    section.append(fieldset);
  }
}

// Indicators: the tiles of the indicator's layer for one period, coloured by the classes the API's map endpoint
// computes for that period (same breaks, same rule: a value belongs to the first class whose upper break it does
// not exceed).
async function showIndicator() {
  const indicator = indicators.find((i) => i.id === state.indicator);
  if (!indicator) {
    setChoropleth(null);
    $('legend').replaceChildren();
    $('period-control').hidden = true;
    choropleth = null;
    renderTable();
    writeState();
    return;
  }
  const mapUrl = (period) => `/api/indicators/${encodeURIComponent(indicator.id)}/map?level=municipality${period ? `&period=${encodeURIComponent(period)}` : ''}`;
  let answer = null;
  if (choropleth?.indicator !== indicator) {
    // The periods and the map of the period asked for (the latest when none is) in parallel.
    const [values, first] = await Promise.all([
      getJson(`/api/indicators/${encodeURIComponent(indicator.id)}/values?level=municipality`),
      getJson(mapUrl(state.period)).catch(() => null),
    ]);
    const periods = [...new Set(values.values.map((v) => v.period))].sort();
    choropleth = { indicator, periods, answer: null };
    $('period').max = String(Math.max(periods.length - 1, 0));
    $('period-control').hidden = periods.length < 2;
    if (first && periods.includes(first.period)) {
      answer = first;
      state.period = first.period;
    }
  }
  const { periods } = choropleth;
  if (!state.period || !periods.includes(state.period)) state.period = periods[periods.length - 1];
  $('period').value = String(periods.indexOf(state.period));
  $('period').setAttribute('aria-valuetext', state.period);
  $('period-value').textContent = state.period;
  const period = state.period;
  answer ??= await getJson(mapUrl(period));
  if (state.period !== period || state.indicator !== indicator.id) return; // a newer choice is on its way
  choropleth.answer = answer;
  const breaks = answer.classification.breaks;
  const colours = classColours(breaks.length - 1);
  const value = ['to-number', ['get', 'value']];
  const classes = ['case', ['!', ['has', 'value']], '#d9d9d9'];
  for (let i = 1; i < breaks.length - 1; i++) classes.push(['<=', value, breaks[i]], colours[i - 1]);
  classes.push(colours[colours.length - 1]);
  const query = new URLSearchParams({ period, area_level: 'municipality' }).toString();
  setChoropleth(indicator, query, classes);
  renderLegend();
  renderTable();
  writeState();
}

// The choropleth: its own source of the indicator layer's tiles for one period, replaced whole when the
// indicator or the period changes, so that every tile on show is of that period.
function setChoropleth(indicator, query, fillColour) {
  for (const id of ['indicator-fill', 'indicator-line']) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource('indicator')) map.removeSource('indicator');
  if (!indicator) return;
  map.addSource('indicator', { type: 'vector', tiles: [tileUrl(indicator.layerId, query)], minzoom: 0, maxzoom: 14 });
  const before = map.getStyle().layers.find((l) => l.metadata?.layerId && l.type !== 'fill')?.id;
  const common = { source: 'indicator', 'source-layer': indicator.layerId, metadata: { layerId: indicator.layerId, choropleth: true } };
  map.addLayer({ ...common, id: 'indicator-fill', type: 'fill', paint: { 'fill-color': fillColour, 'fill-opacity': 0.8 } }, before);
  map.addLayer({ ...common, id: 'indicator-line', type: 'line', paint: { 'line-color': '#333333', 'line-width': 0.8 } }, before);
}

function classColours(count) {
  if (count <= 1) return [palette[3]];
  return Array.from({ length: count }, (_, i) => palette[Math.round((i * 4) / (count - 1))]);
}

function formatNumber(n, decimals) {
  if (n === null || n === undefined) return t('noValue');
  return Number(n).toLocaleString(state.lang === 'sv' ? 'sv-SE' : 'en-GB', { maximumFractionDigits: decimals ?? 2 });
}

function renderLegend() {
  const legend = $('legend');
  if (!choropleth?.answer) { legend.replaceChildren(); return; }
  const { indicator, answer } = choropleth;
  const breaks = answer.classification.breaks;
  const colours = classColours(breaks.length - 1);
  const items = colours.map((colour, i) => el('li', { 'data-lower': breaks[i], 'data-upper': breaks[i + 1] },
    el('span', { class: 'swatch', style: `background:${colour}` }),
    el('span', { text: `${formatNumber(breaks[i], indicator.decimals)} – ${formatNumber(breaks[i + 1], indicator.decimals)}` })));
  legend.replaceChildren(
    el('p', { text: `${indicator.title[state.lang]}, ${answer.period} (${indicator.unit})` }),
    el('ol', { id: 'legend-classes', 'data-period': answer.period }, ...items),
    el('p', { class: 'attribution', text: `${answer.indicator.attribution}. ${answer.classification.method}` }));
}

// The table beside the map: the indicator's areas and values for the period on show, or the features of the
// last layer switched on.
function renderTable() {
  const target = $('table');
  if (choropleth?.answer) {
    const { indicator, answer } = choropleth;
    const rows = answer.features.map((f) => el('tr', { 'data-area': f.properties.area_code },
      el('td', { text: f.properties.area_name ?? f.properties.area_code }),
      el('td', { class: 'number', text: formatNumber(f.properties.value, indicator.decimals) }),
      el('td', { class: 'number', text: f.properties.class ?? '' })));
    target.replaceChildren(el('table', { id: 'indicator-table' },
      el('caption', { text: `${indicator.title[state.lang]} ${answer.period}` }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('area') }), el('th', { scope: 'col', text: `${t('value')} (${indicator.unit})` }),
        el('th', { scope: 'col', text: t('class') }))),
      el('tbody', {}, ...rows)));
  } else {
    target.replaceChildren();
  }
}

// A popup of the attributes of the topmost feature of each layer under the click.
function popupContent(features) {
  const seen = new Set();
  const sections = [];
  for (const feature of features) {
    const layerId = feature.layer.metadata?.layerId ?? feature.sourceLayer;
    if (seen.has(layerId) || sections.length === 3) continue;
    seen.add(layerId);
    const layer = layers.find((l) => l.id === layerId);
    const rows = Object.entries(feature.properties).map(([name, value]) =>
      el('tr', { 'data-name': name }, el('th', { scope: 'row', text: name }),
        el('td', { text: typeof value === 'number' ? formatNumber(value, 6) : String(value) })));
    sections.push(el('section', { 'data-layer': layerId }, el('h4', { text: layer ? layerTitle(layer) : layerId }),
      el('table', {}, el('tbody', {}, ...rows))));
  }
  return el('div', { class: 'popup' }, ...sections);
}

function onMapClick(event) {
  if (picking) { runCatchment(event.lngLat); return; }
  const interactive = map.getStyle().layers.filter((l) => l.metadata?.layerId && map.getLayoutProperty(l.id, 'visibility') !== 'none').map((l) => l.id);
  const features = map.queryRenderedFeatures(event.point, { layers: interactive });
  if (features.length === 0) return;
  new maplibregl.Popup({ maxWidth: '22rem' }).setLngLat(event.lngLat).setDOMContent(popupContent(features)).addTo(map);
}

// Catchments and accessibility: offered only when the service has the endpoints (its OpenAPI document says so).
async function detectAnalyses() {
  try {
    const api = await getJson('/openapi/v1.json');
    const paths = Object.keys(api.paths ?? {});
    const facilityLayers = layers.filter((l) => groupOf(l)?.facilities || (l.geometryType.endsWith('Point') && l.kind === 'imported'));
    if (paths.includes('/api/analysis/catchment')) {
      $('catchment-section').hidden = false;
      $('catchment-pick').addEventListener('click', () => {
        picking = !picking;
        $('catchment-pick').setAttribute('aria-pressed', String(picking));
        map.getCanvas().style.cursor = picking ? 'crosshair' : '';
      });
    }
    if (paths.includes('/api/analysis/accessibility') && facilityLayers.length > 0) {
      $('accessibility-section').hidden = false;
      $('accessibility-layer').replaceChildren(...facilityLayers.map((l) => el('option', { value: l.id, text: layerTitle(l) })));
      $('accessibility-run').addEventListener('click', runAccessibility);
    }
  } catch {
    // Without the API document the hooks stay hidden; the map itself does not need them.
  }
}

function showGeoJson(id, data, paint) {
  if (map.getSource(id)) map.getSource(id).setData(data);
  else {
    map.addSource(id, { type: 'geojson', data });
    map.addLayer({ id, type: 'fill', source: id, paint }, 'indicator-line');
  }
}

async function runCatchment(lngLat) {
  picking = false;
  $('catchment-pick').setAttribute('aria-pressed', 'false');
  map.getCanvas().style.cursor = '';
  $('catchment-result').textContent = t('loading');
  try {
    const bands = await getJson('/api/analysis/catchment', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        facilities: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] } }] },
        cutoffs: [10, 20, 30],
        population: true,
      }),
    });
    const minutes = ['coalesce', ['get', 'minutes'], ['get', 'cutoff']];
    showGeoJson('catchment', bands, {
      'fill-color': ['match', minutes, 10, bandColours[10], 20, bandColours[20], bandColours[30]], 'fill-opacity': 0.45,
    });
    $('catchment-result').replaceChildren(el('table', {}, el('tbody', {}, ...bands.features.map((f) =>
      el('tr', {}, el('td', { text: `${f.properties.minutes ?? f.properties.cutoff} ${t('minutes').toLowerCase()}` }),
        el('td', { class: 'number', text: formatNumber(f.properties.population, 0) }))))));
  } catch (e) {
    $('catchment-result').textContent = e.message;
  }
}

async function runAccessibility() {
  $('accessibility-result').textContent = t('loading');
  try {
    const grid = await getJson('/api/analysis/accessibility', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ facilities: { layer: $('accessibility-layer').value } }),
    });
    showGeoJson('accessibility', grid, {
      'fill-color': ['interpolate', ['linear'], ['to-number', ['get', 'minutes']], 0, '#1a9850', 20, '#fee08b', 60, '#d73027'],
      'fill-opacity': 0.6,
    });
    $('accessibility-result').textContent = `${grid.features.length} ${t('features')}`;
  } catch (e) {
    $('accessibility-result').textContent = e.message;
  }
}

// Measures: filter by programme, theme and status when the service has measure layers.
async function setUpMeasures() {
  const measureLayers = layers.filter((l) => l.kind === 'measure');
  const points = measureLayers.find((l) => l.id === 'measures') ?? measureLayers[0];
  if (!points) return;
  $('measure-section').hidden = false;
  const summary = measureLayers.find((l) => l.id === 'measures-by-municipality');
  if (summary) {
    // The summary per municipality, as the layer gives it, in a table under the filters.
    const rows = (await getJson(`/api/layers/${encodeURIComponent(summary.id)}/features?limit=1000`)).features.map((f) => f.properties);
    const names = summary.properties.map((p) => p.name);
    $('measure-section').append(el('table', { id: 'measure-summary' },
      el('caption', { text: layerTitle(summary) }),
      el('thead', {}, el('tr', {}, ...names.map((n) => el('th', { scope: 'col', text: n })))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...names.map((n) => el('td', {
        class: typeof r[n] === 'number' ? 'number' : undefined,
        text: typeof r[n] === 'number' ? formatNumber(r[n], 2) : Array.isArray(r[n]) ? r[n].join(', ') : String(r[n] ?? ''),
      })))))));
  }
  const answer = await getJson(`/api/layers/${encodeURIComponent(points.id)}/features?limit=10000`);
  const distinct = (name) => [...new Set(answer.features.flatMap((f) => {
    const v = f.properties[name];
    return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  }).map(String))].sort();
  const selects = { programme: $('measure-programme'), themes: $('measure-theme'), status: $('measure-status') };
  for (const [name, select] of Object.entries(selects)) {
    select.replaceChildren(el('option', { value: '', text: t('all') }), ...distinct(name).map((v) => el('option', { value: v, text: v })));
    select.addEventListener('change', () => {
      const conditions = Object.entries(selects).filter(([, s]) => s.value).map(([n, s]) =>
        (n === 'themes' ? ['in', s.value, ['to-string', ['get', n]]] : ['==', ['to-string', ['get', n]], s.value]));
      for (const id of styleIds(points.id)) map.setFilter(id, conditions.length ? ['all', ...conditions] : null);
      if (!state.layers.has(points.id)) { $(`toggle-${points.id}`).checked = true; setLayerVisible(points.id, true); }
    });
  }
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  $('language').textContent = t('language');
  $('language').lang = state.lang === 'sv' ? 'en' : 'sv';
  document.title = `SpatialRegion: ${t('map').toLowerCase()}`;
  const select = $('indicator');
  select.replaceChildren(el('option', { value: '', text: t('none') }),
    ...indicators.map((i) => el('option', { value: i.id, text: i.title[state.lang], selected: i.id === state.indicator })));
  renderLayerList();
  renderLegend();
  renderTable();
}

async function start() {
  // The map, its worker and the catalogues load side by side: the first render waits for the slowest, not the sum.
  map = new maplibregl.Map({
    container: 'map',
    style: {
      version: 8,
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }],
    },
    bounds: state.view ? undefined : jamtland,
    center: state.view?.center,
    zoom: state.view?.zoom,
    attributionControl: { compact: false },
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  window.spatialRegionMap = map;
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-left');
  const loaded = new Promise((resolve) => map.on('load', resolve));
  [layers, catalogue, indicators] = await Promise.all([
    getJson('/api/layers').then((r) => r.layers),
    getJson('/static/map-layers.json'),
    getJson('/api/indicators').then((r) => r.indicators),
  ]);
  // Only indicators with a layer to draw and values per municipality can be a choropleth.
  indicators = indicators.filter((i) => i.areaLevels.includes('municipality') && layers.some((l) => l.id === i.layerId));
  if (!state.layersGiven) catalogue.background.filter((id) => layers.some((l) => l.id === id)).forEach((id) => state.layers.add(id));
  await loaded;

  const background = catalogue.background.map((id) => layers.find((l) => l.id === id)).filter(Boolean);
  const others = layers.filter((l) => !background.includes(l));
  background.forEach((layer) => addLayerStyle(layer, layer.id === 'tatort-areas' ? '#b35806' : '#4d4d4d', state.layers.has(layer.id)));
  others.forEach((layer, i) => addLayerStyle(layer, overlayColours[i % overlayColours.length], state.layers.has(layer.id)));

  applyLanguage();
  $('language').addEventListener('click', () => { state.lang = state.lang === 'sv' ? 'en' : 'sv'; applyLanguage(); writeState(); });
  $('indicator').addEventListener('change', async () => {
    state.indicator = $('indicator').value;
    state.period = null;
    await showIndicator();
  });
  $('period').addEventListener('input', () => {
    state.period = choropleth.periods[Number($('period').value)];
    showIndicator();
  });
  map.on('click', onMapClick);
  map.on('moveend', writeState);
  await showIndicator();
  // First full render: every tile of the first view drawn (the browser tests and the render benchmark wait for it).
  map.once('idle', () => {
    document.body.dataset.mapReady = String(Math.round(performance.now()));
  });
  map.triggerRepaint();
  writeState();
  await Promise.all([detectAnalyses(), setUpMeasures()]);
}

start().catch((e) => { $('status').textContent = e.message; throw e; });
