/** The Electron transport: the preload's `window.workbench`, one function per verb. */
import type { ApiEvent, Envelope, Verb, WorkbenchBridge } from '../../../main/workbench/api/contract.ts';
import type { Transport } from './client.ts';

export function ipcTransport(bridge: WorkbenchBridge): Transport {
  return {
    invoke(verb: Verb, request: unknown): Promise<Envelope<unknown>> {
      const [domain, action] = verb.split('.') as [keyof WorkbenchBridge, string];
      const functions = bridge[domain] as unknown as Record<string, ((request: unknown) => Promise<Envelope<unknown>>) | undefined> | undefined;
      const verbFunction = functions?.[action];
      if (typeof verbFunction !== 'function') return Promise.reject(new Error(`the preload does not expose ${verb}`));
      return verbFunction(request);
    },
    subscribe: (listener: (event: ApiEvent) => void) => bridge.onEvent(listener),
    ready: () => Promise.resolve(),
    close: () => undefined,
  };
}
