/**
 * The renderer's API client: one interface over the contract's verbs and events,
 * whichever host serves the page. `connectWorkbench()` picks the transport: the
 * preload's `window.workbench` (Electron) or HTTP + WebSocket (`clwb serve`, which
 * marks its pages with a meta tag). Views use the client and never learn which.
 *
 * Only types come from main/ (the contract); the few names the transports need
 * are repeated here and checked against the contract's literal types.
 */
import type { ApiError, ApiEvent, Empty, Envelope, ReplyOf, RequestOf, Verb } from '../../../main/workbench/api/contract.ts';

/** A failed call, with the contract's error code and details. */
export class ApiCallError extends Error {
  readonly code: ApiError['code'] | 'TRANSPORT';
  readonly details: ApiError['details'];

  constructor(error: ApiError | { code: 'TRANSPORT'; message: string; details?: ApiError['details'] }) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.details = error.details;
  }
}

/** How a client reaches the back end. */
export interface Transport {
  invoke(verb: Verb, request: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** Resolves once events flow. */
  ready(): Promise<void>;
  close(): void;
}

export interface WorkbenchClient {
  /** Calls a verb (the request may be left out when all its fields are optional); resolves with its reply or rejects with an {@link ApiCallError}. */
  call<V extends Verb>(verb: V, ...request: Empty extends RequestOf<V> ? [request?: RequestOf<V>] : [request: RequestOf<V>]): Promise<ReplyOf<V>>;
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** Resolves once events flow (so none is missed after a call that causes them). */
  ready(): Promise<void>;
  close(): void;
}

export function createClient(transport: Transport): WorkbenchClient {
  return {
    async call(verb, ...request) {
      let envelope: Envelope<unknown>;
      try {
        envelope = await transport.invoke(verb, request[0] ?? {});
      } catch (error) {
        throw new ApiCallError({ code: 'TRANSPORT', message: `${verb}: the back end did not answer (${error instanceof Error ? error.message : String(error)})` });
      }
      if (!envelope.ok) throw new ApiCallError(envelope.error);
      return envelope.value as never;
    },
    onEvent: (listener) => transport.subscribe(listener),
    ready: () => transport.ready(),
    close: () => transport.close(),
  };
}
