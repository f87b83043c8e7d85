import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { VERBS } from '../../main/workbench/api/contract.ts';
import { builtMainEntry, findElectronBinary, repositoryRoot } from './paths.ts';

// The real desktop app. Most UI behaviour is tested in the browser project; these
// checks cover what only Electron has: the preload bridge, the security settings and
// runs in utility processes.

const binary = findElectronBinary();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

test.describe('Electron app', () => {
  test.skip('missing' in binary, 'missing' in binary ? `Electron cannot run here: ${binary.missing}.` : '');
  test.skip(noDisplay, 'Electron needs a display: $DISPLAY and $WAYLAND_DISPLAY are unset (run under xvfb-run).');

  let app: ElectronApplication;
  let window: Page;
  let home: string;

  test.beforeAll(async () => {
    if (!existsSync(builtMainEntry)) throw new Error(`${builtMainEntry} is missing: run \`npm run build\` first.`);
    const executablePath = 'path' in binary ? binary.path : '';
    // A fresh user folder: the app opens its own copy of the sample project.
    home = mkdtempSync(join(os.tmpdir(), 'clwb-electron-'));
    app = await electron.launch({
      executablePath,
      // Chromium refuses to run as root (CI containers) unless its OS sandbox is off;
      // the renderer's own `sandbox: true` still applies.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), repositoryRoot],
      cwd: repositoryRoot,
      env: { ...process.env, CLWB_HOME: join(home, 'home'), CLWB_DATA_DIR: join(home, 'data') },
    });
    window = await app.firstWindow();
    await window.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    await app?.close();
    if (home) rmSync(home, { recursive: true, force: true });
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
    expect(await window.evaluate('window.workbench.app.info().then((reply) => reply.ok && reply.value.host)')).toBe('electron');
    await expect(window.getByTestId('backend')).toContainText('Host: electron');
  });

  test('the preload exposes exactly the contract verbs, and main validates what they carry', async () => {
    const exposed = (await window.evaluate(`Object.entries(window.workbench)
      .filter(([, value]) => typeof value === 'object')
      .flatMap(([domain, actions]) => Object.keys(actions).map((action) => domain + '.' + action))`)) as string[];
    expect(exposed.sort()).toEqual([...VERBS].sort());
    expect(((await window.evaluate('Object.keys(window.workbench)')) as string[]).filter((key) => !exposed.some((verb) => verb.startsWith(`${key}.`))).sort()).toEqual(['onEvent', 'version']);
    // A bad payload comes back as BAD_REQUEST from main, with the problem's path.
    expect(await window.evaluate(`window.workbench.runs.cancel({ runId: '../../etc' }).then((reply) => reply.error.code + ' ' + reply.error.details.problems[0].path)`)).toBe('BAD_REQUEST $.runId');
    expect(await window.evaluate(`window.workbench.projects.current().then((reply) => reply.ok && reply.value.project.name)`)).toBe('Sample project');
  });

  test('runs the sample project in utility processes through the preload API', async () => {
    test.setTimeout(240_000);
    // Driven through window.workbench itself (the UI's own flows are tested with the UI).
    await window.evaluate(`window.__events = []; window.workbench.onEvent((event) => window.__events.push(event))`);
    const started = (await window.evaluate(`window.workbench.runs.start({ experimentId: 'split-mnist-quick' })`)) as { ok: boolean; value: { id: string; strategy: string }[] };
    expect(started.ok).toBe(true);
    const [naive, cumulative] = started.value;
    expect(naive.strategy).toBe('naive');
    const statusOf = async (id: string) =>
      (await window.evaluate(`window.workbench.runs.list({}).then((reply) => reply.value.find((run) => run.id === ${JSON.stringify(id)})?.status)`)) as string;
    await expect.poll(() => statusOf(naive.id), { timeout: 180_000 }).toBe('finished');
    // Progress reached the page as events, sent by main from the utility process's messages.
    expect(await window.evaluate(`window.__events.filter((e) => e.type === 'run.event' && e.runId === ${JSON.stringify(naive.id)} && e.event.type === 'progress').length`)).toBeGreaterThan(0);
    const results = (await window.evaluate(`window.workbench.runs.results({ experimentId: 'split-mnist-quick' })`)) as { ok: boolean; value: { runs: { id: string; backend: string }[] } };
    expect(results.value.runs.map((run) => run.id)).toContain(naive.id);
    expect(results.value.runs[0].backend).toMatch(/wasm|tensorflow|cpu/);
    if ((await statusOf(cumulative.id)) !== 'finished') {
      await window.evaluate(`window.workbench.runs.cancel({ runId: ${JSON.stringify(cumulative.id)} })`);
      await expect.poll(() => statusOf(cumulative.id), { timeout: 30_000 }).toMatch(/cancelled|finished/);
    }
  });

  test('runs the renderer isolated and sandboxed', async () => {
    // Checked by behaviour, since Electron has no public getter for a window's web preferences.
    // contextBridge refuses to expose anything without context isolation, and the functions
    // it does expose are native proxies into the preload's world, not the preload's source.
    expect(await window.evaluate('String(window.workbench.app.info)')).toContain('[native code]');
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
