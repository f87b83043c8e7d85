// `clwb serve` security: every request (page, asset, API, WebSocket) needs the token; wrong
// tokens, traversal paths, foreign Host and Origin headers are refused; loopback by default.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ApiEvent, Envelope } from '../../main/workbench/api/contract.ts';
import { startServer, type ApiHandler, type RunningServer } from '../../main/workbench/server/server.ts';
import { serve } from '../../main/cli/serve.ts';

let dir: string;
let root: string;
let server: RunningServer;
const listeners = new Set<(event: ApiEvent) => void>();
const handled: [unknown, unknown][] = [];

const stubService: ApiHandler = {
  async handle(verb, payload): Promise<Envelope<unknown>> {
    handled.push([verb, payload]);
    return { ok: true, value: { verb, payload } };
  },
  onEvent(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: the path is sent exactly as given (no URL normalisation). */
function raw(pathname: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: server.port, path: pathname, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const bearer = () => ({ Authorization: `Bearer ${server.token}` });
const cookie = () => ({ Cookie: `clwb-token-${server.port}=${server.token}` });
const api = (verb: string, headers: Record<string, string>, body = '{}') => raw(`/api/${verb}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

/** Opens the events socket; resolves with the socket, or rejects with the HTTP status it was refused with. */
function openSocket(headers: Record<string, string>, pathname = '/api/events'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}${pathname}`, { headers });
    socket.on('open', () => resolve(socket));
    socket.on('unexpected-response', (_request, response) => reject(new Error(`refused ${response.statusCode}`)));
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clwb-serve-'));
  root = path.join(dir, 'renderer');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><html><head><title>t</title></head><body>APP</body></html>');
  await writeFile(path.join(root, 'assets', 'app.js'), 'console.log("app")');
  await writeFile(path.join(dir, 'secret.txt'), 'TOP SECRET');
  await symlink(path.join(dir, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
  server = await startServer({ service: stubService, rendererDir: root, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('clwb serve security', () => {
  it('binds to loopback by default and prints a URL with a long random token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses the page, assets and API without a token', async () => {
    for (const target of ['/', '/index.html', '/assets/app.js', '/favicon.ico']) {
      const reply = await raw(target);
      expect(reply.status, target).toBe(403);
      expect(reply.body).not.toContain('APP');
      expect(reply.body).toMatch(/needs its token/);
    }
    const reply = await api('app.info', {});
    expect(reply.status).toBe(403);
    expect(handled).toEqual([]);
  });

  it('refuses wrong tokens in every place a token can go', async () => {
    const wrong = server.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect((await raw(`/?token=${wrong}`)).status).toBe(403);
    expect((await raw('/?token=')).status).toBe(403);
    expect((await raw('/', { headers: { Cookie: `clwb-token-${server.port}=${wrong}` } })).status).toBe(403);
    // A cookie for another port's server does not count.
    expect((await raw('/', { headers: { Cookie: `clwb-token-1=${server.token}` } })).status).toBe(403);
    expect((await raw('/', { headers: { Authorization: `Bearer ${wrong}` } })).status).toBe(403);
    expect((await api('app.info', { Authorization: `Bearer ${server.token}x` })).status).toBe(403);
    expect(handled).toEqual([]);
  });

  it('trades the URL token for an HttpOnly, SameSite=Strict cookie and serves the page with it', async () => {
    const first = await raw(`/?token=${server.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toContain(`clwb-token-${server.port}=${server.token}`);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const page = await raw('/', { headers: cookie() });
    expect(page.status).toBe(200);
    expect(page.body).toContain('APP');
    // The page tells the client that an HTTP API is here, and carries a strict CSP.
    expect(page.body).toContain('<meta name="clwb-api" content="http" />');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await raw('/assets/app.js', { headers: cookie() })).body).toContain('console.log');
  });

  it('answers the API with the cookie or a bearer token, JSON only, same origin only', async () => {
    const reply = await api('runs.list', cookie(), '{"experimentId":"e"}');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ok: true, value: { verb: 'runs.list', payload: { experimentId: 'e' } } });
    expect((await api('app.info', bearer())).status).toBe(200);
    expect((await raw('/api/app.info', { method: 'POST', headers: { ...bearer(), 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await raw('/api/app.info', { headers: bearer() })).status).toBe(405);
    expect((await api('app.info', { ...cookie(), Origin: 'https://evil.example' })).status).toBe(403);
    expect((await api('app.info', { ...cookie(), Origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
    const broken = await api('app.info', bearer(), '{not json');
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('refuses path traversal in every spelling, and links out of the app folder', async () => {
    for (const target of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/assets/%00app.js', `/${encodeURIComponent(path.join(dir, 'secret.txt'))}`, '/assets/link.txt']) {
      const reply = await raw(target, { headers: cookie() });
      expect(reply.status, target).toBeGreaterThanOrEqual(400);
      expect(reply.body, target).not.toContain('TOP SECRET');
    }
    expect((await raw('/../secret.txt', { headers: cookie() })).status).toBe(403);
    expect((await raw('/assets/link.txt', { headers: cookie() })).status).toBe(403);
    expect((await raw('/missing.js', { headers: cookie() })).status).toBe(404);
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    expect((await raw('/', { headers: { ...cookie(), Host: `evil.example:${server.port}` } })).status).toBe(403);
    expect((await api('app.info', { ...bearer(), Host: 'evil.example' })).status).toBe(403);
    expect((await raw('/', { headers: { ...cookie(), Host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('refuses the events WebSocket without the token, with a wrong one, or from another origin; streams events with it', async () => {
    await expect(openSocket({})).rejects.toThrow(/refused 403/);
    await expect(openSocket({ Cookie: `clwb-token-${server.port}=nope` })).rejects.toThrow(/refused 403/);
    await expect(openSocket({ ...cookie(), Origin: 'https://evil.example' })).rejects.toThrow(/refused 403/);
    await expect(openSocket(cookie(), '/api/other')).rejects.toThrow(/refused 404/);
    const socket = await openSocket({ ...cookie(), Origin: `http://127.0.0.1:${server.port}` });
    const received = new Promise<ApiEvent>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)) as ApiEvent)));
    const event: ApiEvent = { type: 'scheduler.changed', scheduler: { concurrency: 1, defaultConcurrency: 1, reason: 'test', gpus: [], running: 0, queued: 0 } };
    for (const listener of listeners) listener(event);
    expect(await received).toEqual(event);
    socket.close();
  });

  it('`clwb serve` binds to 127.0.0.1 unless --host is given', async () => {
    const home = path.join(dir, 'home');
    const previous = process.env.CLWB_HOME;
    process.env.CLWB_HOME = home;
    const stop = new AbortController();
    let listening: RunningServer | undefined;
    const output: string[] = [];
    const sink = { write: (text: string) => (output.push(text), true) } as unknown as NodeJS.WritableStream;
    try {
      const code = serve(['--port', '0', '--renderer', root], { stdout: sink, stderr: sink }, {
        signal: stop.signal,
        onListening: (running) => {
          listening = running;
          stop.abort();
        },
      });
      expect(await code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.CLWB_HOME;
      else process.env.CLWB_HOME = previous;
    }
    expect(listening?.host).toBe('127.0.0.1');
    expect(output.join('')).toContain(`clwb serve: open http://127.0.0.1:${listening?.port}/?token=${listening?.token}`);
    expect(output.join('')).toContain('Sample project');
  });
});
