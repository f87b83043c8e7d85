import { existsSync } from 'node:fs';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { builtMainEntry, findElectronBinary, repositoryRoot } from './paths.ts';

// The real desktop app. Most UI behaviour is tested in the browser project; these
// checks cover what only Electron has: the preload bridge and the security settings.

const binary = findElectronBinary();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

test.describe('Electron app', () => {
  test.skip('missing' in binary, 'missing' in binary ? `Electron cannot run here: ${binary.missing}.` : '');
  test.skip(noDisplay, 'Electron needs a display: $DISPLAY and $WAYLAND_DISPLAY are unset (run under xvfb-run).');

  let app: ElectronApplication;
  let window: Page;

  test.beforeAll(async () => {
    if (!existsSync(builtMainEntry)) throw new Error(`${builtMainEntry} is missing: run \`npm run build\` first.`);
    const executablePath = 'path' in binary ? binary.path : '';
    app = await electron.launch({
      executablePath,
      // Chromium refuses to run as root (CI containers) unless its OS sandbox is off;
      // the renderer's own `sandbox: true` still applies.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), repositoryRoot],
      cwd: repositoryRoot,
    });
    window = await app.firstWindow();
    await window.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    await app?.close();
  });

  test('shows the workbench window', async () => {
    await expect(window).toHaveTitle('CL Workbench');
    await expect(window.getByRole('heading', { name: 'CL Workbench' })).toBeVisible();
  });

  test('exposes only the workbench bridge to the renderer', async () => {
    // Strings, not functions: the Node-side type-check has no DOM types.
    expect(await window.evaluate('typeof window.workbench')).toBe('object');
    expect(await window.evaluate('typeof require')).toBe('undefined');
    expect(await window.evaluate('typeof process')).toBe('undefined');
    expect(await window.evaluate('window.workbench.backendInfo().then((info) => info.host)')).toBe('electron');
    await expect(window.getByTestId('backend')).toContainText('Host: electron');
  });

  test('runs the renderer isolated and sandboxed', async () => {
    // Checked by behaviour, since Electron has no public getter for a window's web preferences.
    // contextBridge refuses to expose anything without context isolation, and the functions
    // it does expose are native proxies into the preload's world, not the preload's source.
    expect(await window.evaluate('String(window.workbench.backendInfo)')).toContain('[native code]');
    // Sandboxed with no Node integration: no Node globals leak into the page.
    expect(await window.evaluate('[typeof require, typeof process, typeof Buffer, typeof module].join()')).toBe(
      'undefined,undefined,undefined,undefined',
    );
    // The main process sees the same window, created by our code with the bundled page.
    const url = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.webContents.getURL());
    expect(url).toMatch(/^file:\/\/.*\/out\/renderer\/index\.html$/);
  });

  test('refuses new windows and navigation away from the app', async () => {
    const before = window.url();
    await window.evaluate('window.open("https://example.com/")');
    await window.evaluate('location.href = "https://example.com/"');
    // Give a wrongly allowed window or navigation time to happen.
    await window.waitForTimeout(500);
    expect(app.windows()).toHaveLength(1);
    expect(window.url()).toBe(before);
  });
});
