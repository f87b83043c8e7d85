/**
 * The `clwb serve` transport: `POST /api/<verb>` with JSON, and one WebSocket for
 * events that reconnects after a drop. The token travels as the HttpOnly cookie
 * the server set on the first page load, so this code never sees it.
 */
import type { API_META_NAME, ApiEvent, Envelope, EVENTS_PATH, HTTP_API_PREFIX, Verb } from '../../../main/workbench/api/contract.ts';
import type { Transport } from './client.ts';

// The contract's names, repeated (the renderer imports no runtime code from main/) and type-checked against it.
const apiPrefix: typeof HTTP_API_PREFIX = '/api/';
const eventsPath: typeof EVENTS_PATH = '/api/events';
export const apiMetaName: typeof API_META_NAME = 'clwb-api';

export function httpTransport(location: Location = window.location): Transport {
  const listeners = new Set<(event: ApiEvent) => void>();
  let socket: WebSocket | undefined;
  let closed = false;
  let delay = 500;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const connect = () => {
    if (closed) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${eventsPath}`;
    socket = new WebSocket(url);
    socket.addEventListener('open', () => {
      delay = 500;
      markReady();
    });
    socket.addEventListener('message', (message: MessageEvent) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(message.data)) as ApiEvent;
      } catch {
        return;
      }
      for (const listener of listeners) listener(event);
    });
    socket.addEventListener('close', () => {
      if (closed) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10_000);
    });
  };
  connect();

  return {
    async invoke(verb: Verb, request: unknown): Promise<Envelope<unknown>> {
      const response = await fetch(`${apiPrefix}${verb}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request ?? {}),
        credentials: 'same-origin',
        cache: 'no-store',
      });
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('application/json')) {
        const text = (await response.text()).trim();
        return { ok: false, error: { code: response.status === 403 ? 'FORBIDDEN' : 'INTERNAL', message: `HTTP ${response.status}: ${text.slice(0, 300)}` } };
      }
      return (await response.json()) as Envelope<unknown>;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () => ready,
    close() {
      closed = true;
      socket?.close();
    },
  };
}
