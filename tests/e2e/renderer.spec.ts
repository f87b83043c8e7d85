import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { expect, test } from '@playwright/test';
import { builtRendererDir } from './paths.ts';

// The renderer in a plain browser, served from the build output. There is no
// preload here, so the page must cope without window.workbench.

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** A tiny static server for out/renderer on 127.0.0.1, confined to that folder. */
function serveStatic(root: string): Server {
  return createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
}

let server: Server;
let baseUrl: string;

test.beforeAll(async () => {
  if (!existsSync(join(builtRendererDir, 'index.html'))) {
    throw new Error(`${builtRendererDir}/index.html is missing: run \`npm run build\` first.`);
  }
  server = serveStatic(builtRendererDir);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

test('renders the workbench page without console errors', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(baseUrl);

  await expect(page).toHaveTitle('CL Workbench');
  await expect(page.getByRole('heading', { level: 1, name: 'CL Workbench' })).toBeVisible();
  await expect(page.getByText('No back end')).toBeVisible();
  // No preload in a plain browser: the page says so instead of failing.
  await expect(page.getByTestId('backend')).toHaveText(/No desktop backend/);
  expect(errors).toEqual([]);
});

test('the page carries the strict content security policy', async ({ page }) => {
  await page.goto(baseUrl);
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain("default-src 'self'");
  // An inline script must be refused by that policy.
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') violations.push(message.text());
  });
  await page.evaluate(`(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.head.append(script);
  })()`);
  expect(await page.evaluate('window.__inlineRan === true')).toBe(false);
  await expect.poll(() => violations.some((text) => text.includes('Content Security Policy'))).toBe(true);
});
