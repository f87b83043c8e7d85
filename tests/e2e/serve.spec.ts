import { expect, test, type Page } from '@playwright/test';
import { startServe, type ServeHost } from './serve-host.ts';

// A real browser against `clwb serve`, with real run workers: the token and cookie, the UI
// loading, and the sample project run from the page over HTTP and the events WebSocket
// (start, progress events, cancel one, results). The UI's own flows are tested with the UI.

test.describe.configure({ mode: 'serial' });

let host: ServeHost | undefined;
let url: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  host = await startServe({ copySampleProject: false });
  url = host.url;
});

test.afterAll(async () => {
  await host?.stop();
});

test('refuses the page without the token', async ({ page }) => {
  const response = await page.goto(url.replace(/\?token=.*$/, ''));
  expect(response?.status()).toBe(403);
  await expect(page.locator('body')).toContainText('needs its token');
});

test('loads the UI through the token cookie, with no console errors', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  // The token went into a cookie and out of the address bar.
  expect(page.url()).not.toContain('token=');
  await expect(page.getByRole('heading', { name: 'CL Workbench' })).toBeVisible();
  await expect(page.getByText('Sample project').first()).toBeVisible();
  const cookies = await page.context().cookies();
  expect(cookies).toEqual([expect.objectContaining({ httpOnly: true, sameSite: 'Strict' })]);
  expect(errors).toEqual([]);
});

/** What a verb answers: the contract's envelope. */
interface Reply {
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

// Page scripts are strings: the Node-side type-check has no DOM types.

/** Calls a verb from the page, as the renderer's HTTP transport does (the cookie authenticates it). */
async function call(page: Page, verb: string, request: unknown = {}): Promise<Reply> {
  const body = JSON.stringify(JSON.stringify(request));
  return (await page.evaluate(`fetch('/api/${verb}', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ${body} }).then((response) => response.json())`)) as Reply;
}

interface SeenEvent {
  type: string;
  runId?: string;
  run?: { id: string; status: string };
  event?: { type: string };
}

test('runs the sample project from the browser: progress events arrive over the WebSocket, a queued run is cancelled, results come back', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(url);
  // The page's own event socket, opened under the page's CSP (connect-src 'self') with the cookie.
  await page.evaluate(`new Promise((resolve, reject) => {
    window.__events = [];
    const socket = new WebSocket('ws://' + location.host + '/api/events');
    socket.onmessage = (message) => window.__events.push(JSON.parse(String(message.data)));
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error('the events socket did not open'));
  })`);
  const events = async () => (await page.evaluate('window.__events')) as SeenEvent[];

  const current = await call(page, 'projects.current');
  expect(current.value).toMatchObject({ project: { name: 'Sample project' }, experiments: [{ id: 'split-mnist-quick', valid: true, plannedRuns: 2 }] });
  const started = await call(page, 'runs.start', { experimentId: 'split-mnist-quick' });
  expect(started.ok).toBe(true);
  const [naive, cumulative] = started.value as { id: string; status: string; strategy: string }[];
  expect(naive.strategy).toBe('naive');
  // One run at a time: the second waits in the queue; cancel it there.
  expect(cumulative.status).toBe('queued');
  expect(await call(page, 'runs.cancel', { runId: cumulative.id })).toMatchObject({ ok: true, value: { id: cumulative.id, status: 'cancelled', resumable: true } });

  // Progress events of the first run arrive, then its result.
  await expect.poll(async () => (await events()).filter((e) => e.type === 'run.event' && e.runId === naive.id && e.event?.type === 'progress').length, { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await expect.poll(async () => (await events()).some((e) => e.type === 'run.status' && e.run?.id === naive.id && e.run.status === 'finished'), { timeout: 120_000 }).toBe(true);
  expect((await events()).some((e) => e.type === 'run.status' && e.run?.id === cumulative.id && e.run.status === 'cancelled')).toBe(true);
  const types = (await events()).filter((e) => e.type === 'run.event' && e.runId === naive.id).map((e) => e.event?.type);
  expect(types[0]).toBe('started');
  expect(types.filter((type) => type === 'evaluation')).toHaveLength(5);
  expect(types.at(-1)).toBe('finished');

  const list = (await call(page, 'runs.list')).value as { id: string; status: string; resumable: boolean; metrics?: { acc: number } }[];
  expect(list.find((run) => run.id === naive.id)).toMatchObject({ status: 'finished', metrics: { acc: expect.any(Number) } });
  expect(list.find((run) => run.id === cumulative.id)).toMatchObject({ status: 'cancelled', resumable: true });
  const results = await call(page, 'runs.results', { experimentId: 'split-mnist-quick' });
  expect(results.value).toMatchObject({ kind: 'clwb-results', runs: [{ id: naive.id }], summary: [{ label: 'Naive (fine-tuning)', n: 1 }] });
  // Bad payloads are refused by the server whatever the client sends.
  expect(await call(page, 'runs.cancel', { runId: '../../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
});
