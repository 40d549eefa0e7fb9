import { test, expect } from '@playwright/test';
import { ostersund, openMap, mapIdle, clickMap } from './map-page.mjs';

// The analysis tools and the measures register on the map, each checked against the API's own answer.

const catchmentMinutes = [10, 20, 30];

const point = (lonLat) => ({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: lonLat } }] });

// A number as the page writes it in Swedish (decimal comma, spaces between thousands).
const shownNumber = (text) => Number(text.replace(/\s/g, '').replace(',', '.'));

async function postJson(request, url, data) {
  const response = await request.post(url, { data });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

test('a catchment clicked near Östersund draws the 10, 20 and 30 minute bands with the population the API gives', async ({ page, request }) => {
  await openMap(page);
  await expect(page.locator('#catchment-section')).toBeVisible();
  await page.locator('#catchment-pick').click();
  await expect(page.locator('#catchment-pick')).toHaveAttribute('aria-pressed', 'true');
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/analysis/catchment' && r.request().method() === 'POST');
  await clickMap(page, ostersund);
  const response = await answered;
  expect(response.status()).toBe(200);
  const clicked = response.request().postDataJSON().facilities.geojson.features[0].geometry.coordinates;
  expect(clicked[0]).toBeCloseTo(ostersund[0], 2);
  expect(clicked[1]).toBeCloseTo(ostersund[1], 2);

  const api = await postJson(request, '/api/analysis/catchment', { facilities: { geojson: point(clicked) }, minutes: catchmentMinutes, population: true });
  expect(api.features.map((f) => f.properties.cutoff)).toEqual(catchmentMinutes);
  const rows = page.locator('#catchment-bands tbody tr');
  await expect(rows).toHaveCount(catchmentMinutes.length);
  const people = [];
  for (const band of api.features) {
    const cell = page.locator(`#catchment-bands tr[data-minutes="${band.properties.cutoff}"] td[data-population]`);
    expect(Number(await cell.getAttribute('data-population'))).toBe(band.properties.population);
    expect(shownNumber(await cell.textContent())).toBe(band.properties.population);
    people.push(band.properties.population);
  }
  // Östersund: tens of thousands of people within 10 minutes, more within each longer band.
  expect(people[0]).toBeGreaterThan(30_000);
  expect(people[1]).toBeGreaterThan(people[0]);
  expect(people[2]).toBeGreaterThan(people[1]);

  // All three bands are drawn, the 10-minute one on top where it was clicked.
  await mapIdle(page);
  const drawn = await page.evaluate((lonLat) => {
    const map = window.spatialRegionMap;
    const all = map.queryRenderedFeatures({ layers: ['catchment'] }).map((f) => f.properties.cutoff);
    const here = map.queryRenderedFeatures(map.project(lonLat), { layers: ['catchment'] }).map((f) => f.properties.cutoff);
    return { bands: [...new Set(all)].sort((a, b) => a - b), top: here[0] };
  }, clicked);
  expect(drawn.bands).toEqual(catchmentMinutes);
  expect(drawn.top).toBe(10);
  await page.locator('#catchment-bands').scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('catchment.png') });
});

test('the grid coloured by minutes to the nearest pharmacy gives the API\'s minutes for a square and its people per class', async ({ page, request }) => {
  await openMap(page);
  await expect(page.locator('#accessibility-section')).toBeVisible();
  await page.locator('#accessibility-layer').selectOption('pharmacies');
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/analysis/accessibility');
  await page.locator('#accessibility-run').click();
  expect((await answered).status()).toBe(200);
  const api = await postJson(request, '/api/analysis/accessibility', { facilities: { layer: 'pharmacies' } });

  // The legend: the people within each cut-off, beyond the last and with none reachable, as the analysis counts them.
  const total = api.analysis.summary.total;
  const cutoffs = api.analysis.parameters.minutes;
  await expect(page.locator('#accessibility-legend tbody tr')).toHaveCount(cutoffs.length + 2);
  for (const c of cutoffs) {
    const cell = page.locator(`#accessibility-legend tr[data-minutes="${c}"] td[data-population]`);
    expect(Number(await cell.getAttribute('data-population'))).toBe(total.within[String(c)]);
  }
  expect(Number(await page.locator('#accessibility-legend tr[data-class="beyond"] td[data-population]').getAttribute('data-population'))).toBe(total.beyond_last);
  expect(Number(await page.locator('#accessibility-legend tr[data-class="unreachable"] td[data-population]').getAttribute('data-population'))).toBe(total.unreachable);

  // The populated square nearest Östersund's centre: zoomed in on, clicked, its popup gives the API's minutes.
  const centre = (f) => {
    const ring = f.geometry.coordinates[0][0];
    const corners = ring.slice(0, -1);
    return [corners.reduce((s, c) => s + c[0], 0) / corners.length, corners.reduce((s, c) => s + c[1], 0) / corners.length];
  };
  const distance = (a) => Math.hypot((a[0] - ostersund[0]) * Math.cos((ostersund[1] * Math.PI) / 180), a[1] - ostersund[1]);
  const square = api.features.filter((f) => typeof f.properties.minutes === 'number')
    .map((f) => ({ f, at: centre(f) })).sort((a, b) => distance(a.at) - distance(b.at))[0];
  await page.evaluate((at) => window.spatialRegionMap.jumpTo({ center: at, zoom: 11 }), square.at);
  await mapIdle(page);
  await clickMap(page, square.at);
  const section = page.locator('.maplibregl-popup .popup section[data-layer="accessibility"]');
  await expect(section).toBeVisible();
  await expect(page.locator('.maplibregl-popup')).toHaveCount(1);
  await expect(section.locator('tr[data-name="origin"] td')).toHaveText(square.f.properties.origin);
  expect(shownNumber(await section.locator('tr[data-name="minutes"] td').textContent())).toBe(square.f.properties.minutes);
  expect(square.f.properties.minutes).toBeLessThan(10); // a pharmacy in the town
  await page.locator('#accessibility-legend').scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('accessibility.png') });
});

test('measures filtered by programme and status show what /api/measures answers for the same filter', async ({ page, request }) => {
  await openMap(page);
  await expect(page.locator('#measure-section')).toBeVisible();
  const measures = async (filter) => (await request.get(`/api/measures?${new URLSearchParams({ ...filter, f: 'geojson', limit: '10000' })}`)).json();
  const perMunicipality = (answer, code) => answer.features.filter((f) => (f.properties.municipalities ?? '').split(',').includes(code));

  // Unfiltered, the counts and granted amounts per municipality are the register's own summary.
  const summary = await (await request.get('/api/measures/summary')).json();
  expect(summary.features).toHaveLength(8);
  for (const f of summary.features) {
    const row = page.locator(`#measure-summary tr[data-area="${f.properties.kom_kod}"]`);
    await expect(row.locator('td[data-measures]')).toHaveAttribute('data-measures', String(f.properties.measures));
    await expect(row.locator('td[data-granted]')).toHaveAttribute('data-granted', String(f.properties.granted_sek_full));
  }

  // The programme most measures belong to, and the status decided.
  const all = await measures({});
  const counts = new Map();
  for (const f of all.features) if (f.properties.programme) counts.set(f.properties.programme, (counts.get(f.properties.programme) ?? 0) + 1);
  const programme = [...counts].sort((a, b) => b[1] - a[1])[0][0];
  const filter = { programme, status: 'decided' };
  const filtered = page.waitForResponse((r) => {
    const q = new URL(r.url()).searchParams;
    return new URL(r.url()).pathname === '/api/measures' && q.get('programme') === programme && q.get('status') === 'decided';
  });
  await page.locator('#measure-programme').selectOption(programme);
  await page.locator('#measure-status').selectOption('decided');
  expect((await filtered).ok()).toBeTruthy();
  const api = await measures(filter);
  expect(api.features.length).toBeGreaterThan(0);
  expect(api.features.length).toBeLessThan(all.features.length);
  await expect(page.locator('#measure-summary')).toHaveAttribute('data-count', String(api.features.length));
  for (const f of summary.features) {
    const code = f.properties.kom_kod;
    const reaching = perMunicipality(api, code);
    const row = page.locator(`#measure-summary tr[data-area="${code}"]`);
    await expect(row.locator('td[data-measures]')).toHaveAttribute('data-measures', String(reaching.length));
    await expect(row.locator('td[data-granted]')).toHaveAttribute('data-granted', String(reaching.reduce((s, m) => s + (m.properties.granted_sek ?? 0), 0)));
  }

  // On the map: the measures layer is on, and the measures drawn are those of the answer that have a geometry.
  await expect(page.locator('#toggle-measures')).toBeChecked();
  await mapIdle(page);
  const drawn = await page.evaluate(() => {
    const map = window.spatialRegionMap;
    const ids = map.getStyle().layers.filter((l) => l.metadata?.layerId === 'measures').map((l) => l.id);
    return [...new Set(map.queryRenderedFeatures({ layers: ids }).map((f) => f.properties.id))].sort();
  });
  expect(drawn).toEqual(api.features.filter((f) => f.geometry).map((f) => f.properties.id).sort());
  await page.locator('#measure-summary').scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('measures.png') });
});
