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

const text = {
  sv: {
    home: 'Start', title: 'Karta över Region Jämtland Härjedalen', controls: 'Kartans innehåll', indicator: 'Indikator',
    indicatorChoice: 'Visa indikator', none: '(ingen)', period: 'Period', layers: 'Lager', measures: 'Insatser', programme: 'Program',
    theme: 'Tema', status: 'Status', all: 'Alla', catchment: 'Upptagningsområde',
    catchmentHelp: 'Välj knappen och klicka i kartan: 10, 20 och 30 minuter med befolkning.', catchmentPick: 'Klicka i kartan',
    accessibility: 'Tillgänglighet', facility: 'Minuter till närmaste', show: 'Visa', table: 'Tabell', map: 'Karta',
    language: 'English', area: 'Område', value: 'Värde', class: 'Klass', minutes: 'Minuter', population: 'Befolkning',
    noValue: 'inget värde', loading: 'Laddar …', failed: 'Kunde inte hämta', features: 'objekt', source: 'Källa',
    fromZoom: 'från zoom', squares: 'rutor', unreachable: 'Ingen nåbar', measuresMatching: 'insatser', municipality: 'Kommun',
    grantedSek: 'Beviljat (kr)',
  },
  en: {
    home: 'Home', title: 'Map of Region Jämtland Härjedalen', controls: 'Map contents', indicator: 'Indicator',
    indicatorChoice: 'Show indicator', none: '(none)', period: 'Period', layers: 'Layers', measures: 'Measures', programme: 'Programme',
    theme: 'Theme', status: 'Status', all: 'All', catchment: 'Catchment',
    catchmentHelp: 'Press the button and click the map: 10, 20 and 30 minutes with population.', catchmentPick: 'Click the map',
    accessibility: 'Accessibility', facility: 'Minutes to the nearest', show: 'Show', table: 'Table', map: 'Map',
    language: 'Svenska', area: 'Area', value: 'Value', class: 'Class', minutes: 'Minutes', population: 'Population',
    noValue: 'no value', loading: 'Loading …', failed: 'Could not fetch', features: 'features', source: 'Source',
    fromZoom: 'from zoom', squares: 'squares', unreachable: 'None reachable', measuresMatching: 'measures', municipality: 'Municipality',
    grantedSek: 'Granted (SEK)',
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

// Each service layer's source and style layers, made for every layer in the registry but put on the map only
// when the layer is first shown: MapLibre repaints as each source of a style loads, and a first view with a
// source for every layer of the registry is drawn several times more before it is whole.
const serviceLayers = new Map(); // layerId -> { sourceId, source, styleLayers }
const swatches = new Map();
// Every style layer in drawing order (background, fills, the choropleth, lines and circles): a layer added later
// goes under the first one after it that is on the map.
let drawingOrder = [];
const choroplethIds = ['indicator-fill', 'indicator-line']; // its fill and its outline

// The map's first style, made before the map so that the first view's tiles are asked for as soon as the map
// has read it, with the layers on show (the others wait in serviceLayers): the service's layers from their tiles
// (polygons as a pale fill with an outline, lines, points as circles), every fill under every line and circle, and
// the choropleth, when one is given, over the fills.
function serviceStyle(background, others, choroplethStyle) {
  const fills = [];
  const above = [];
  const add = (layer, colour) => {
    const sourceId = `layer-${layer.id}`;
    const source = { type: 'vector', tiles: [tileUrl(layer.id)], minzoom: 0, maxzoom: 14, attribution: layer.source };
    // A layer too dense to draw for the whole county (every road in one tile) is drawn from its minimum zoom on:
    // below it MapLibre asks for none of its tiles.
    const minzoom = catalogue.minZoom?.[layer.id] ?? 0;
    const common = { source: sourceId, 'source-layer': layer.id, minzoom, metadata: { layerId: layer.id } };
    let own;
    let swatch = colour;
    if (layer.geometryType.endsWith('Polygon')) {
      const fill = layer.id === 'municipalities' || layer.id === 'counties' ? '#ffffff' : colour;
      swatch = fill; // the list shows what covers the area
      // The line layer draws the outline, so the fill's own antialiased outline (a second pass over every edge,
      // with a program of its own) is left out.
      own = [{ ...common, id: `${sourceId}-fill`, type: 'fill', paint: { 'fill-color': fill, 'fill-opacity': fill === colour ? 0.35 : 0.7, 'fill-antialias': false } },
        { ...common, id: `${sourceId}-line`, type: 'line', paint: { 'line-color': colour, 'line-width': 1 } }];
      fills.push(own[0]);
      above.push(own[1]);
    } else if (layer.geometryType.endsWith('LineString')) {
      own = [{ ...common, id: `${sourceId}-line`, type: 'line', paint: { 'line-color': colour, 'line-width': 1.5 } }];
      above.push(...own);
    } else {
      own = [{
        ...common, id: `${sourceId}-circle`, type: 'circle',
        paint: { 'circle-color': colour, 'circle-radius': 5, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 },
      }];
      above.push(...own);
    }
    serviceLayers.set(layer.id, { sourceId, source, styleLayers: own });
    swatches.set(layer.id, swatch);
  };
  background.forEach((layer) => add(layer, layer.id === 'tatort-areas' ? '#b35806' : '#4d4d4d'));
  others.forEach((layer, i) => add(layer, overlayColours[i % overlayColours.length]));
  const backgroundLayer = { id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } };
  drawingOrder = [backgroundLayer, ...fills].map((l) => l.id).concat(choroplethIds, above.map((l) => l.id));
  const shown = (l) => l.type === 'background' || state.layers.has(l.metadata.layerId);
  const sources = Object.fromEntries([...state.layers].filter((id) => serviceLayers.has(id))
    .map((id) => [serviceLayers.get(id).sourceId, serviceLayers.get(id).source]));
  if (choroplethStyle) sources.indicator = choroplethStyle.source;
  return {
    version: 8,
    sources,
    layers: [backgroundLayer, ...fills.filter(shown), ...(choroplethStyle?.layers ?? []), ...above.filter(shown)],
  };
}

const styleIds = (layerId) => serviceLayers.get(layerId)?.styleLayers.map((l) => l.id) ?? [];

// The style layer to draw this one under: the first after it in drawing order that is on the map, else the first
// analysis result (catchments and accessibility stay on top), else none (on top of all).
const drawnAfter = (styleLayerId) => drawingOrder.slice(drawingOrder.indexOf(styleLayerId) + 1).find((id) => map.getLayer(id))
  ?? map.getStyle().layers.map((l) => l.id).find((id) => !drawingOrder.includes(id));

function setLayerVisible(layerId, visible) {
  const own = serviceLayers.get(layerId);
  if (visible && own && !map.getSource(own.sourceId)) {
    map.addSource(own.sourceId, own.source);
    for (const styleLayer of own.styleLayers) map.addLayer(styleLayer, drawnAfter(styleLayer.id));
  } else {
    for (const id of styleIds(layerId)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
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
      const colour = swatches.get(layer.id);
      fieldset.append(el('label', { for: box.id }, box, el('span', { class: 'swatch', style: `background:${colour}` }),
        el('span', { text: `${layerTitle(layer)} (${layer.featureCount})` }),
        catalogue.minZoom?.[layer.id] ? el('span', { class: 'min-zoom', text: ` ${t('fromZoom')} ${catalogue.minZoom[layer.id]}` }) : null));
    }
    section.append(fieldset);
  }
}

const indicatorMapUrl = (id, period) =>
  `/api/indicators/${encodeURIComponent(id)}/map?level=municipality${period ? `&period=${encodeURIComponent(period)}` : ''}`;

// The periods of an indicator and its map of the period asked for (the latest when none is), in parallel. The
// first view's are asked for as the page starts, beside the catalogues, and taken from here once.
let indicatorPrefetch = null;
function indicatorAnswers(id, period) {
  const prefetched = indicatorPrefetch;
  indicatorPrefetch = null;
  if (prefetched?.id === id && prefetched.period === period) return prefetched.answers;
  return Promise.all([
    getJson(`/api/indicators/${encodeURIComponent(id)}/values?level=municipality`),
    getJson(indicatorMapUrl(id, period)).catch(() => null),
  ]);
}

// Indicators: the tiles of the indicator's layer for one period, coloured by the classes the API's map endpoint
// computes for that period (same breaks, same rule: a value belongs to the first class whose upper break it does
// not exceed).
async function showIndicator() {
  const choice = await chooseIndicator();
  if (choice === undefined) return; // a newer choice is on its way
  renderLegend();
  renderTable();
  setChoropleth(choice);
  writeState();
}

// The indicator and period of the state with its period control (the legend and the table are the caller's);
// answers the choropleth's style (null when no indicator is on show), or undefined when a newer choice overtook
// this one.
async function chooseIndicator() {
  const indicator = indicators.find((i) => i.id === state.indicator);
  if (!indicator) {
    $('period-control').hidden = true;
    choropleth = null;
    return null;
  }
  const mapUrl = (period) => indicatorMapUrl(indicator.id, period);
  let answer = null;
  if (choropleth?.indicator !== indicator) {
    const [values, first] = await indicatorAnswers(indicator.id, state.period);
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
  if (state.period !== period || state.indicator !== indicator.id) return undefined;
  choropleth.answer = answer;
  const breaks = answer.classification.breaks;
  const colours = classColours(breaks.length - 1);
  const value = ['to-number', ['get', 'value']];
  const classes = ['case', ['!', ['has', 'value']], '#d9d9d9'];
  for (let i = 1; i < breaks.length - 1; i++) classes.push(['<=', value, breaks[i]], colours[i - 1]);
  classes.push(colours[colours.length - 1]);
  const query = new URLSearchParams({ period, area_level: 'municipality' }).toString();
  const common = { source: 'indicator', 'source-layer': indicator.layerId, metadata: { layerId: indicator.layerId, choropleth: true } };
  return {
    source: { type: 'vector', tiles: [tileUrl(indicator.layerId, query)], minzoom: 0, maxzoom: 14 },
    layers: [{ ...common, id: choroplethIds[0], type: 'fill', paint: { 'fill-color': classes, 'fill-opacity': 0.8, 'fill-antialias': false } },
      { ...common, id: choroplethIds[1], type: 'line', paint: { 'line-color': '#333333', 'line-width': 0.8 } }],
  };
}

// The choropleth: its own source of the indicator layer's tiles for one period, replaced whole when the
// indicator or the period changes, so that every tile on show is of that period.
function setChoropleth(choroplethStyle) {
  for (const id of choroplethIds) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource('indicator')) map.removeSource('indicator');
  if (!choroplethStyle) return;
  map.addSource('indicator', choroplethStyle.source);
  for (const layer of choroplethStyle.layers) map.addLayer(layer, drawnAfter(layer.id));
}

// count colours spread over the first five of a ramp (the indicator palette unless another is given).
function classColours(count, ramp = palette) {
  if (count <= 1) return [ramp[3]];
  return Array.from({ length: count }, (_, i) => ramp[Math.round((i * 4) / (count - 1))]);
}

// One formatter per language and number of decimals: toLocaleString would build one for every number.
const numberFormats = new Map();
function formatNumber(n, decimals) {
  if (n === null || n === undefined) return t('noValue');
  const key = `${state.lang}:${decimals ?? 2}`;
  if (!numberFormats.has(key)) {
    numberFormats.set(key, new Intl.NumberFormat(state.lang === 'sv' ? 'sv-SE' : 'en-GB', { maximumFractionDigits: decimals ?? 2 }));
  }
  return numberFormats.get(key).format(Number(n));
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

// A popup of the attributes of the topmost feature of each layer under the click, analysis results included.
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
    sections.push(el('section', { 'data-layer': layerId }, el('h4', { text: layer ? layerTitle(layer) : t(layerId) }),
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

const postJson = (url, body) => getJson(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

// Analysis results: drawn over every other layer, and clickable like the service's layers.
function showGeoJson(id, data, paint, layout = {}) {
  if (map.getSource(id)) {
    map.getSource(id).setData(data);
    for (const [name, value] of Object.entries(paint)) map.setPaintProperty(id, name, value);
  } else {
    map.addSource(id, { type: 'geojson', data });
    map.addLayer({ id, type: 'fill', source: id, paint, layout, metadata: { layerId: id } });
  }
}

// One colour per class of minutes, green (near) to red (far).
const minuteRamp = ['#1a9850', '#91cf60', '#fee08b', '#fc8d59', '#d73027'];
const minuteColours = (count) => classColours(count, minuteRamp);

// A legend row: a swatch, a label and a number of people, the number also as data for whoever reads the page.
const peopleRow = (colour, label, people, data) => el('tr', data,
  el('td', {}, colour ? el('span', { class: 'swatch', style: `background:${colour}` }) : null),
  el('td', { text: label }), el('td', { class: 'number', 'data-population': people, text: formatNumber(people, 0) }));

const minutesLabel = (m) => `${formatNumber(m, 1)} min`;

const catchmentMinutes = [10, 20, 30];

async function runCatchment(lngLat) {
  picking = false;
  $('catchment-pick').setAttribute('aria-pressed', 'false');
  map.getCanvas().style.cursor = '';
  $('catchment-result').textContent = t('loading');
  try {
    const point = { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] } };
    const bands = await postJson('/api/analysis/catchment', {
      facilities: { geojson: { type: 'FeatureCollection', features: [point] } }, minutes: catchmentMinutes, population: true,
    });
    const colours = minuteColours(catchmentMinutes.length);
    const colour = ['match', ['get', 'cutoff'], ...catchmentMinutes.slice(0, -1).flatMap((m, i) => [m, colours[i]]), colours[colours.length - 1]];
    // The bands are cumulative: the shortest is drawn on top of the longer ones.
    showGeoJson('catchment', bands, { 'fill-color': colour, 'fill-opacity': 0.45 }, { 'fill-sort-key': ['-', 0, ['get', 'cutoff']] });
    $('catchment-result').replaceChildren(el('table', { id: 'catchment-bands' },
      el('thead', {}, el('tr', {}, el('th', {}), el('th', { scope: 'col', text: t('minutes') }), el('th', { scope: 'col', text: t('population') }))),
      el('tbody', {}, ...bands.features.map((f) => peopleRow(colours[catchmentMinutes.indexOf(f.properties.cutoff)],
        `≤ ${minutesLabel(f.properties.cutoff)}`, f.properties.population, { 'data-minutes': f.properties.cutoff })))));
  } catch (e) {
    $('catchment-result').textContent = e.message;
  }
}

// The 1 km squares coloured by minutes to the nearest facility, in the classes the analysis counts people by: a
// square belongs to the first cut-off its minutes do not exceed. The legend gives the people within each.
async function runAccessibility() {
  $('accessibility-result').textContent = t('loading');
  try {
    const grid = await postJson('/api/analysis/accessibility', { facilities: { layer: $('accessibility-layer').value } });
    const cutoffs = grid.analysis.parameters.minutes;
    const colours = minuteColours(cutoffs.length + 1);
    const minutes = ['get', 'minutes'];
    const colour = ['case', ['!=', ['typeof', minutes], 'number'], palette[0]];
    cutoffs.forEach((c, i) => colour.push(['<=', minutes, c], colours[i]));
    colour.push(colours[cutoffs.length]);
    showGeoJson('accessibility', grid, { 'fill-color': colour, 'fill-opacity': 0.85 });
    const total = grid.analysis.summary.total;
    $('accessibility-result').replaceChildren(el('table', { id: 'accessibility-legend' },
      el('caption', { text: `${formatNumber(grid.features.length, 0)} ${t('squares')}` }),
      el('thead', {}, el('tr', {}, el('th', {}), el('th', { scope: 'col', text: t('minutes') }), el('th', { scope: 'col', text: t('population') }))),
      el('tbody', {},
        ...cutoffs.map((c, i) => peopleRow(colours[i], `≤ ${minutesLabel(c)}`, total.within[String(c)], { 'data-minutes': c })),
        peopleRow(colours[cutoffs.length], `> ${minutesLabel(cutoffs[cutoffs.length - 1])}`, total.beyond_last, { 'data-class': 'beyond' }),
        peopleRow(palette[0], t('unreachable'), total.unreachable, { 'data-class': 'unreachable' }))));
  } catch (e) {
    $('accessibility-result').textContent = e.message;
  }
}

// Measures: the register filtered by programme, theme and status as /api/measures filters it. The map shows the
// measures it answers, and the summary counts them per municipality they reach (unfiltered, the same figures as
// the register's own summary per municipality).
const measureFilters = { programme: 'programme', theme: 'themes', status: 'status' }; // API parameter: property

async function measuresMatching(filter) {
  const query = new URLSearchParams(filter);
  query.set('f', 'geojson');
  query.set('limit', '10000');
  // The map draws the measures from their tiles: the register's display geometries would be most of the answer.
  query.set('skipGeometry', 'true');
  return getJson(`/api/measures?${query}`);
}

async function setUpMeasures() {
  const points = layers.find((l) => l.id === 'measures' && l.kind === 'measure');
  if (!points) return;
  const [all, summary] = await Promise.all([measuresMatching({}), getJson('/api/measures/summary')]);
  const municipalities = summary.features.map((f) => ({ code: f.properties.kom_kod, name: f.properties.name }));
  const selects = { programme: $('measure-programme'), theme: $('measure-theme'), status: $('measure-status') };
  for (const [parameter, select] of Object.entries(selects)) {
    const values = new Set(all.features.flatMap((f) => listOf(f.properties[measureFilters[parameter]])));
    select.replaceChildren(el('option', { value: '', text: t('all') }), ...[...values].sort().map((v) => el('option', { value: v, text: v })));
  }
  renderMeasureSummary(all, municipalities);
  $('measure-section').hidden = false;
  let latest = 0;
  const apply = async () => {
    const filter = Object.fromEntries(Object.entries(selects).filter(([, s]) => s.value).map(([p, s]) => [p, s.value]));
    const asked = ++latest;
    const answer = await measuresMatching(filter);
    if (asked !== latest) return; // a newer choice is on its way
    const ids = answer.features.map((f) => f.properties.id);
    if (!state.layers.has(points.id)) { $(`toggle-${points.id}`).checked = true; setLayerVisible(points.id, true); }
    for (const id of styleIds(points.id)) map.setFilter(id, Object.keys(filter).length ? ['in', ['get', 'id'], ['literal', ids]] : null);
    renderMeasureSummary(answer, municipalities);
  };
  for (const select of Object.values(selects)) select.addEventListener('change', () => apply().catch((e) => { $('status').textContent = e.message; }));
}

// A property that may hold several values: an array or a comma-separated text.
function listOf(value) {
  if (value === null || value === undefined || value === '') return [];
  return (Array.isArray(value) ? value : String(value).split(',')).map((v) => String(v).trim()).filter(Boolean);
}

function renderMeasureSummary(answer, municipalities) {
  const rows = municipalities.map(({ code, name }) => {
    const reaching = answer.features.filter((f) => listOf(f.properties.municipalities).includes(code));
    const granted = reaching.reduce((sum, f) => sum + (f.properties.granted_sek ?? 0), 0);
    return el('tr', { 'data-area': code }, el('td', { text: name }),
      el('td', { class: 'number', 'data-measures': reaching.length, text: formatNumber(reaching.length, 0) }),
      el('td', { class: 'number', 'data-granted': granted, text: formatNumber(granted, 0) }));
  });
  const table = el('table', { id: 'measure-summary', 'data-count': answer.features.length },
    el('caption', { text: `${formatNumber(answer.features.length, 0)} ${t('measuresMatching')}` }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('municipality') }), el('th', { scope: 'col', text: t('measures') }),
      el('th', { scope: 'col', text: t('grantedSek') }))),
    el('tbody', {}, ...rows));
  const shown = $('measure-summary');
  if (shown) shown.replaceWith(table); else $('measure-section').append(table);
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

// Resolves once the last frame drawn has reached the screen: the browser composites it at the next animation
// frame, and the animation frame after that one comes when it has.
const framePresented = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

async function start() {
  // Tiles are decoded in MapLibre's worker: it loads and compiles beside the catalogues, not after them.
  maplibregl.prewarm();
  if (state.indicator) {
    const answers = indicatorAnswers(state.indicator, state.period);
    answers.catch(() => {}); // an indicator the catalogue lacks is dealt with below
    indicatorPrefetch = { id: state.indicator, period: state.period, answers };
  }
  [layers, catalogue, indicators] = await Promise.all([
    getJson('/api/layers').then((r) => r.layers),
    getJson('/static/map-layers.json'),
    getJson('/api/indicators').then((r) => r.indicators),
  ]);
  // Only indicators with a layer to draw and values per municipality can be a choropleth.
  indicators = indicators.filter((i) => i.areaLevels.includes('municipality') && layers.some((l) => l.id === i.layerId));
  if (!state.layersGiven) catalogue.background.filter((id) => layers.some((l) => l.id === id)).forEach((id) => state.layers.add(id));
  const background = catalogue.background.map((id) => layers.find((l) => l.id === id)).filter(Boolean);
  const others = layers.filter((l) => !background.includes(l));
  const firstChoropleth = await chooseIndicator();

  // Made with its whole style, the map asks for every tile of the first view as soon as it has read the style,
  // not after a style of nothing has been drawn and then rebuilt layer by layer. Without preserveDrawingBuffer
  // the browser need not keep a copy of each frame.
  map = new maplibregl.Map({
    container: 'map',
    style: serviceStyle(background, others, firstChoropleth),
    bounds: state.view ? undefined : jamtland,
    center: state.view?.center,
    zoom: state.view?.zoom,
    attributionControl: { compact: false },
  });
  window.spatialRegionMap = map;
  // First full render: every tile of the first view drawn and on the screen (the browser tests and the render
  // benchmark wait for it). Until then the map region is busy (aria-busy), so a screen reader waits for it.
  const firstRender = new Promise((resolve) => map.once('idle', resolve));
  // The map's first frame asks for the first view's tiles. The controls, the panel's lists, the legend and the
  // table (whose number formats load the locale's data) are made after it, while the tiles are on their way.
  await new Promise((resolve) => map.once('render', resolve));
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-left');
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
  writeState();
  await firstRender;
  await framePresented();
  $('map').removeAttribute('aria-busy');
  document.body.dataset.mapReady = String(Math.round(performance.now()));
  // The analysis tools and the measures register are not part of the first view: their requests and the parsing
  // of their answers would only compete with drawing it.
  await Promise.all([detectAnalyses(), setUpMeasures()]);
}

start().catch((e) => { $('status').textContent = e.message; throw e; });
