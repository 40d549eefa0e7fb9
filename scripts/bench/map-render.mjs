// Loads /map N times in chromium (fresh context each time, so no browser cache) and prints the median time from
// navigation start to the map's first full render: the first 'idle' of MapLibre, when every tile of the first
// view is drawn, and then that frame on the screen (the page records it in body[data-map-ready]). MapLibre's idle
// alone comes 0.2-0.3 s before the screen where WebGL runs in software: the frame is still being drawn.
// One load before them is not counted: it fills the service's tile cache with the first view's tiles, as the
// first visitor of the day does for all the others.
import { chromium } from '@playwright/test';
import config from '../../tests/browser/playwright.config.mjs';

const runs = Number(process.argv[2] ?? 9);
const base = process.env.SPATIALREGION_URL ?? 'http://127.0.0.1:5000';
const browser = await chromium.launch(config.use.launchOptions);
const times = [];
for (let i = -1; i < runs; i++) {
  const context = await browser.newContext({ viewport: config.use.viewport });
  const page = await context.newPage();
  await page.goto(`${base}/map`);
  await page.locator('body[data-map-ready]').waitFor({ state: 'attached', timeout: 30_000 });
  if (i >= 0) times.push(Number(await page.locator('body').getAttribute('data-map-ready')));
  // What the page asks for after its first view (the measures register, the analysis tools) is let finish, so
  // that the service is not still answering it while the next load is timed.
  await page.waitForLoadState('networkidle');
  await context.close();
  // The closed context's processes are let go before the next load is timed.
  await new Promise((resolve) => setTimeout(resolve, 500));
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`${times[Math.floor(times.length / 2)]} ms (all: ${times.join(', ')} ms)`);
