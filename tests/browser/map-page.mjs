// What the map page's browser tests share: opening the page, waiting for the map to settle, clicking a place.
import { expect } from '@playwright/test';

// Jämtlands län, lon/lat; Östersund town.
export const jamtland = { west: 12.2, south: 61.6, east: 16.8, north: 64.9 };
export const ostersund = [14.64, 63.18];

export async function openMap(page, hash = '') {
  await page.goto(`/map${hash}`);
  await expect(page.locator('body[data-map-ready]')).toBeAttached({ timeout: 30_000 });
}

// Resolves once MapLibre has drawn everything it has to (every tile and source loaded, no transition running).
export async function mapIdle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.spatialRegionMap;
    map.once('idle', resolve);
    map.triggerRepaint();
  }));
}

// Clicks the map at a lon/lat.
export async function clickMap(page, lonLat) {
  const point = await page.evaluate((p) => window.spatialRegionMap.project(p), lonLat);
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + point.x, box.y + point.y);
}
