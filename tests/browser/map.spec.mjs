import { test, expect } from '@playwright/test';
import { jamtland, ostersund, openMap, clickMap, mapIdle } from './map-page.mjs';
import { installDrawnShare } from './drawn-pixels.mjs';

async function latestMap(request, period) {
  const response = await request.get(`/api/indicators/population/map?level=municipality${period ? `&period=${period}` : ''}`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

async function legendBreaks(page) {
  const items = page.locator('#legend-classes li');
  const count = await items.count();
  const breaks = [];
  for (let i = 0; i < count; i++) {
    if (i === 0) breaks.push(Number(await items.nth(i).getAttribute('data-lower')));
    breaks.push(Number(await items.nth(i).getAttribute('data-upper')));
  }
  return breaks;
}

test('the map draws the municipalities of Jämtland', async ({ page }, testInfo) => {
  await installDrawnShare(page);
  await openMap(page);
  // The canvas keeps no frame once the browser has shown it (no preserveDrawingBuffer), so the pixels inside the
  // county's box are read while MapLibre draws one.
  const drawn = await page.evaluate((box) => new Promise((resolve) => {
    const map = window.spatialRegionMap;
    map.once('render', () => {
      const a = map.project([box.west, box.north]);
      const b = map.project([box.east, box.south]);
      const area = { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y };
      resolve({ share: window.drawnShare(map.getCanvas(), area), width: area.width, height: area.height });
    });
    map.triggerRepaint();
  }), jamtland);
  expect(drawn.width).toBeGreaterThan(100);
  expect(drawn.share).toBeGreaterThan(0.5);
  const rendered = Number(await page.locator('body').getAttribute('data-map-ready'));
  testInfo.annotations.push({ type: 'first full render (ms)', description: String(rendered) });
  await page.screenshot({ path: testInfo.outputPath('map.png') });
});

test('the map region is busy until every tile of the first view is drawn and on the screen', async ({ page }) => {
  // The first tile asked for is held back; the others pass.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let tiles = 0;
  await page.route('**/tiles/WebMercatorQuad/**', async (route) => {
    if (tiles++ === 0) await held;
    await route.continue();
  });
  await page.goto('/map');
  await expect.poll(() => tiles).toBeGreaterThan(1);
  // The map has drawn its first frames (its controls are made after the first one), and is not yet whole.
  await expect(page.locator('.maplibregl-ctrl-zoom-in')).toBeAttached();
  await expect(page.locator('#map')).toHaveAttribute('aria-busy', 'true');
  await expect(page.locator('body')).not.toHaveAttribute('data-map-ready');
  release();
  await expect(page.locator('body[data-map-ready]')).toBeAttached({ timeout: 30_000 });
  await expect(page.locator('#map')).not.toHaveAttribute('aria-busy');
});

test('the legend gives the breaks of the population map endpoint', async ({ page, request }) => {
  await openMap(page);
  // The catchment, accessibility and measure controls appear only when the service offers them.
  const api = await (await request.get('/openapi/v1.json')).json();
  const layers = (await (await request.get('/api/layers')).json()).layers;
  await expect(page.locator('#catchment-section')).toBeVisible({ visible: '/api/analysis/catchment' in api.paths });
  await expect(page.locator('#accessibility-section')).toBeVisible({ visible: '/api/analysis/accessibility' in api.paths });
  await expect(page.locator('#measure-section')).toBeVisible({ visible: layers.some((l) => l.kind === 'measure') });
  const map = await latestMap(request);
  await expect(page.locator('#legend-classes')).toHaveAttribute('data-period', map.period);
  expect(await legendBreaks(page)).toEqual(map.classification.breaks);
  // The table beside the map lists the same values.
  const ostersundRow = page.locator('#indicator-table tr[data-area="2380"] td.number').first();
  const value = map.features.find((f) => f.properties.area_code === '2380').properties.value;
  expect((await ostersundRow.textContent()).replace(/\D/g, '')).toBe(String(value));
});

test('moving the period slider asks for tiles of that period and changes the legend', async ({ page, request }) => {
  await openMap(page);
  const latest = await latestMap(request);
  const before = await legendBreaks(page);
  const tileRequest = page.waitForRequest((r) => /\/indicator-population\/tiles\/WebMercatorQuad\/\d+\/\d+\/\d+\?/.test(r.url())
    && new URL(r.url()).searchParams.get('period') !== latest.period);
  await page.locator('#period').focus();
  await page.keyboard.press('ArrowLeft');
  const url = new URL((await tileRequest).url());
  const period = url.searchParams.get('period');
  expect(period < latest.period).toBeTruthy();
  await expect(page.locator('#legend-classes')).toHaveAttribute('data-period', period);
  const api = await latestMap(request, period);
  const after = await legendBreaks(page);
  expect(after).toEqual(api.classification.breaks);
  expect(after).not.toEqual(before);
  await expect(page.locator('#period-value')).toHaveText(period);
  expect(new URL(page.url()).hash).toContain(`period=${period}`);
});

test('clicking Östersund shows its population from the API', async ({ page, request }) => {
  await openMap(page);
  const api = await latestMap(request);
  const expected = api.features.find((f) => f.properties.area_code === '2380').properties.value;
  await clickMap(page, ostersund);
  const section = page.locator('.maplibregl-popup .popup section[data-layer="indicator-population"]');
  await expect(section).toBeVisible();
  await expect(section.locator('tr[data-name="area_name"] td')).toHaveText('Östersund');
  const shown = await section.locator('tr[data-name="value"] td').textContent();
  expect(shown.replace(/\D/g, '')).toBe(String(expected));
  await page.screenshot({ path: test.info().outputPath('popup.png') });
});

test('a shared link restores the same view', async ({ page, browser }) => {
  await openMap(page, '#map=8.50/63.2000/14.5000&layers=municipalities,pharmacies&indicator=population&period=2020&lang=en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('#toggle-pharmacies')).toBeChecked();
  await expect(page.locator('#toggle-tatort-areas')).not.toBeChecked();
  await expect(page.locator('#legend-classes')).toHaveAttribute('data-period', '2020');
  const view = await page.evaluate(() => ({ zoom: window.spatialRegionMap.getZoom(), center: window.spatialRegionMap.getCenter() }));
  expect(view.zoom).toBeCloseTo(8.5, 1);
  expect(view.center.lat).toBeCloseTo(63.2, 2);

  // Change the view, then open the address in a fresh page: the same map.
  await page.locator('#toggle-health-facilities').check();
  await page.evaluate(() => window.spatialRegionMap.jumpTo({ center: [15.1, 62.9], zoom: 7.25 }));
  await expect.poll(() => page.url()).toContain('map=7.25/62.9000/15.1000');
  const shared = page.url();
  const other = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await other.goto(shared);
  await expect(other.locator('body[data-map-ready]')).toBeAttached({ timeout: 30_000 });
  const restored = await other.evaluate(() => ({ zoom: window.spatialRegionMap.getZoom(), center: window.spatialRegionMap.getCenter() }));
  expect(restored.zoom).toBeCloseTo(7.25, 2);
  expect(restored.center.lng).toBeCloseTo(15.1, 3);
  await expect(other.locator('#toggle-health-facilities')).toBeChecked();
  await expect(other.locator('#toggle-pharmacies')).toBeChecked();
  await expect(other.getByRole('button', { name: 'Svenska' })).toBeVisible();
  await other.screenshot({ path: test.info().outputPath('shared.png') });
});

test('a layer off in the first view is not part of it, and turned on it is drawn in its place with its tiles', async ({ page }) => {
  const gridTiles = [];
  page.on('request', (r) => { if (r.url().includes('/collections/population-grid-1km/tiles/')) gridTiles.push(r.url()); });
  await openMap(page);
  const styleOf = () => page.evaluate(() => {
    const map = window.spatialRegionMap;
    return { sources: Object.keys(map.getStyle().sources), layers: map.getStyle().layers.map((l) => l.id) };
  });
  const first = await styleOf();
  expect(first.sources).not.toContain('layer-population-grid-1km');
  expect(first.sources).toContain('layer-municipalities');
  expect(gridTiles).toEqual([]);

  await page.locator('#toggle-population-grid-1km').check();
  await mapIdle(page);
  const { layers } = await styleOf();
  // Fills under the choropleth, lines and circles over it.
  const at = (id) => layers.indexOf(id);
  expect(at('layer-population-grid-1km-fill')).toBeGreaterThan(at('layer-tatort-areas-fill'));
  expect(at('layer-population-grid-1km-fill')).toBeLessThan(at('indicator-fill'));
  expect(at('layer-population-grid-1km-line')).toBeGreaterThan(at('indicator-line'));
  expect(at('layer-population-grid-1km-line')).toBeGreaterThan(at('layer-municipalities-line'));
  expect(gridTiles.length).toBeGreaterThan(0);
  await expect(page).toHaveURL(/layers=[^&]*population-grid-1km/);

  await page.locator('#toggle-population-grid-1km').uncheck();
  expect(await page.evaluate(() => window.spatialRegionMap.getLayoutProperty('layer-population-grid-1km-fill', 'visibility'))).toBe('none');
  await expect(page).not.toHaveURL(/layers=[^&]*population-grid-1km/);
});
