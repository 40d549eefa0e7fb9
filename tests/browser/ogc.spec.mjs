import { test, expect } from '@playwright/test';
import { installDrawnShare } from './drawn-pixels.mjs';

// Polygons cover much of their map; 50 pharmacies as points a little of it.
for (const [name, url, share] of [
  ['one feature', '/ogc/collections/municipalities/items/2380?f=html', 0.05],
  ['a page of items', '/ogc/collections/pharmacies/items?f=html&limit=50', 0.01],
  ['a collection', '/ogc/collections/municipalities?f=html', 0.05],
]) {
  test(`the OGC HTML page of ${name} shows its features on a small map`, async ({ page }, testInfo) => {
    await installDrawnShare(page);
    await page.goto(url);
    await expect(page.locator('#ogc-map[data-map-ready]')).toBeAttached({ timeout: 30_000 });
    expect(await page.evaluate(() => window.drawnShare(document.querySelector('#ogc-map canvas')))).toBeGreaterThan(share);
    await page.screenshot({ path: testInfo.outputPath('ogc.png') });
  });
}
