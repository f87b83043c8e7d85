/**
 * The headless host of `clwb serve`: the built renderer and the API contract over
 * HTTP (`POST /api/<verb>`, JSON in, Envelope out) plus a WebSocket (`/api/events`)
 * that pushes ApiEvents. It binds to 127.0.0.1 unless told otherwise, and every
 * request without the token is refused (see auth.ts). Loopback servers also check
 * the Host header (DNS rebinding) and every API call and WebSocket checks Origin.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_META_NAME, CONTENT_SECURITY_POLICY, EVENTS_PATH, HTTP_API_PREFIX, type ApiEvent, type Envelope } from '../api/contract.ts';
import { authenticate, createToken, tokenCookie } from './auth.ts';
import { resolveStatic } from './static.ts';

/** What the server needs of the service. */
export interface ApiHandler {
  handle(verb: unknown, payload: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

export interface ServeOptions {
  service: ApiHandler;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (0: any free one). */
  port?: number;
  /** The token (default: a fresh random one). */
  token?: string;
  /** Largest request body accepted (default 16 MiB). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  /** http://host:port */
  origin: string;
  token: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8' });
}

const REFUSED = 'Forbidden: this CL Workbench server needs its token. Open the URL that `clwb serve` printed (it ends in ?token=...).\n';

/** Starts the server; resolves once it listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createToken();
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const rendererDir = options.rendererDir;
  let port = 0;

  // Host names a loopback server answers to; anything else is a DNS-rebinding attempt.
  const allowedHost = (value: string | undefined): boolean => {
    if (!value) return false;
    if (!isLoopback(host)) return true;
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(value.toLowerCase());
  };
  // Browsers send Origin on cross-origin requests and on every WebSocket; it must be this server.
  const allowedOrigin = (request: IncomingMessage): boolean => {
    const origin = request.headers.origin;
    return origin === undefined || origin === `http://${request.headers.host}`;
  };

  const indexHtml = async (): Promise<string> => {
    const html = await fs.readFile(path.join(rendererDir, 'index.html'), 'utf8');
    // Tells the renderer's client that an HTTP API is here (a plain static copy has no such tag).
    return html.replace(/<head>/i, `<head>\n    <meta name="${API_META_NAME}" content="http" />`);
  };

  async function readBody(request: IncomingMessage): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBody) return undefined;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, verb: string): Promise<void> {
    if (request.method !== 'POST') return send(response, 405, 'The API takes POST requests.\n', { Allow: 'POST' });
    if (!allowedOrigin(request)) return send(response, 403, 'Forbidden: cross-origin request.\n');
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) return send(response, 415, 'The API takes application/json.\n');
    const body = await readBody(request);
    if (body === undefined) return sendJson(response, 413, { ok: false, error: { code: 'BAD_REQUEST', message: `The request is larger than ${maxBody} bytes` } });
    let payload: unknown;
    try {
      payload = body.trim() === '' ? {} : JSON.parse(body);
    } catch (error) {
      return sendJson(response, 400, { ok: false, error: { code: 'BAD_REQUEST', message: `The request is not valid JSON: ${(error as Error).message}` } });
    }
    sendJson(response, 200, await options.service.handle(verb, payload));
  }

  async function handleStatic(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'Method not allowed.\n', { Allow: 'GET, HEAD' });
    // The raw path, not url.pathname: URL parsing silently folds `..` and `%2e%2e`, and a traversal attempt should be refused as one.
    const rawPath = (request.url ?? '/').split(/[?#]/, 1)[0];
    const resolved = await resolveStatic(rendererDir, rawPath);
    if ('refused' in resolved) {
      return resolved.refused === 'traversal' ? send(response, 403, 'Forbidden: the path leaves the app folder.\n') : send(response, 404, 'Not found.\n');
    }
    if (path.basename(resolved.file) === 'index.html') {
      const html = await indexHtml();
      return send(response, 200, request.method === 'HEAD' ? '' : html, { 'Content-Type': resolved.contentType });
    }
    const immutable = url.pathname.startsWith('/assets/');
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': resolved.contentType, 'Cache-Control': immutable ? 'private, max-age=31536000, immutable' : 'no-cache' });
    if (request.method === 'HEAD') return void response.end();
    createReadStream(resolved.file).on('error', () => response.destroy()).pipe(response);
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!allowedHost(request.headers.host)) return send(response, 403, 'Forbidden: unexpected Host header.\n');
    if (!request.url?.startsWith('/')) return send(response, 400, 'Bad request.\n');
    const url = new URL(request.url, `http://${request.headers.host}`);
    const credential = authenticate(request, url, token, port);
    if (!credential) return send(response, 403, REFUSED);
    const isApi = url.pathname.startsWith(HTTP_API_PREFIX);
    if (credential === 'query' && !isApi && request.method === 'GET') {
      // Trade the token in the address bar for a cookie, and drop it from the URL (history, screen shares).
      url.searchParams.delete('token');
      const location = `${url.pathname}${url.search}`;
      return send(response, 303, 'See the page without the token.\n', { Location: location, 'Set-Cookie': tokenCookie(token, port) });
    }
    if (isApi) return handleApi(request, response, url.pathname.slice(HTTP_API_PREFIX.length));
    return handleStatic(request, response, url);
  }

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      console.error('clwb serve: request failed:', error);
      if (!response.headersSent) send(response, 500, 'Internal error.\n');
      else response.destroy();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const refuseUpgrade = (socket: Duplex, status: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${REFUSED.length}\r\n\r\n${REFUSED}`);
  };
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!allowedHost(request.headers.host) || !request.url?.startsWith('/')) return refuseUpgrade(socket, '403 Forbidden');
    const url = new URL(request.url, `http://${request.headers.host}`);
    if (!authenticate(request, url, token, port) || !allowedOrigin(request)) return refuseUpgrade(socket, '403 Forbidden');
    if (url.pathname !== EVENTS_PATH) return refuseUpgrade(socket, '404 Not Found');
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });
  // The events socket only talks one way; anything the page sends is ignored.
  sockets.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
  });
  const unsubscribe = options.service.onEvent((event) => {
    const text = JSON.stringify(event);
    for (const client of sockets.clients) {
      if (client.readyState !== client.OPEN) continue;
      // A stalled client loses progress ticks, never state changes.
      if (event.type === 'run.event' && event.event.type === 'progress' && client.bufferedAmount > 4 * 1024 * 1024) continue;
      client.send(text);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const origin = `http://${hostForUrl}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    host,
    port,
    async close() {
      unsubscribe();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
