// Browser tests of the map page against a running service (SPATIALREGION_URL; scripts/test.sh starts one).
// The browser is Debian's chromium: Playwright's own browser download cannot work here. WebGL runs on SwiftShader.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs/,
  outputDir: '../../TestResults/browser',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: process.env.SPATIALREGION_URL ?? 'http://127.0.0.1:5140',
    viewport: { width: 1400, height: 900 },
    screenshot: 'on',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
        // Headless chromium (156) still builds its omnibox popup, a page of its own (chrome://omnibox-popup.top-chrome),
        // in a renderer of its own for every new window: about 2.5 s of CPU, during the load of the page it opened.
        // Nobody sees it headless; on two cores it took one from the page being measured.
        '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup',
      ],
    },
  },
});
