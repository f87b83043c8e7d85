import { defineConfig } from '@playwright/test';

// End-to-end tests run against the built app (`npm run build` first).
// `browser`: the renderer in Debian's Chromium (never `playwright install`: no downloads here).
// `electron`: the real desktop app, skipped where the Electron binary is absent.
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  forbidOnly: !!process.env.CI,
  retries: 0,
  // The machines have 2 cores; Chromium and the test server share them.
  workers: 2,
  timeout: 60_000,
  // CI adds JSON: --reporter=list,json with PLAYWRIGHT_JSON_OUTPUT_NAME (see .ci/run).
  reporter: 'list',
  projects: [
    {
      name: 'browser',
      testMatch: /(renderer|serve|workbench)\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
    {
      name: 'electron',
      testMatch: /electron\.spec\.ts$/,
    },
  ],
});
