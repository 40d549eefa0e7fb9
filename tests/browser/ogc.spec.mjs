import { test, expect } from '@playwright/test';

// Share of the map canvas's pixels that differ from the empty background.
async function drawnShare(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('#ogc-map canvas');
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const context = copy.getContext('2d');
    context.drawImage(canvas, 0, 0);
    const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
    let differing = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (Math.abs(pixels[i] - 0xee) + Math.abs(pixels[i + 1] - 0xf2) + Math.abs(pixels[i + 2] - 0xf5) > 12) differing++;
    }
    return differing / (pixels.length / 4);
  });
}

// Polygons cover much of their map; 50 pharmacies as points a little of it.
for (const [name, url, share] of [
  ['one feature', '/ogc/collections/municipalities/items/2380?f=html', 0.05],
  ['a page of items', '/ogc/collections/pharmacies/items?f=html&limit=50', 0.01],
  ['a collection', '/ogc/collections/municipalities?f=html', 0.05],
]) {
  test(`the OGC HTML page of ${name} shows its features on a small map`, async ({ page }, testInfo) => {
    await page.goto(url);
    await expect(page.locator('#ogc-map[data-map-ready]')).toBeAttached({ timeout: 30_000 });
    expect(await drawnShare(page)).toBeGreaterThan(share);
    await page.screenshot({ path: testInfo.outputPath('ogc.png') });
  });
}
