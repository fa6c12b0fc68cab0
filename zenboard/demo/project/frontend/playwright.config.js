// The demo's e2e suite: Debian's Chromium (Playwright cannot download browsers everywhere),
// two workers locally, each with its own backend and database (tests/e2e/fixtures.js).
const fs = require('fs');
const { defineConfig } = require('@playwright/test');

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  throw new Error(`Chromium not found at ${chromium}: install it (apt-get install chromium, or `
    + 'scripts/system-deps.sh in zenboard) or set CHROMIUM_PATH');
}

module.exports = defineConfig({
  testDir: './tests/e2e',
  fullyParallel: true,
  workers: process.env.CI ? 4 : 2,
  reporter: process.env.CI ? 'dot' : 'list',
  timeout: 15000,
  expect: { timeout: 2000 },
  use: {
    trace: 'off',
    screenshot: 'off',
    launchOptions: {
      executablePath: chromium,
      // Without the background-networking flags Chromium dials out at start-up, which a closed
      // network refuses slowly.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
