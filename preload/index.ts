/**
 * The only bridge between the sandboxed renderer and main: exposes `window.workbench`,
 * exactly the contract's verbs grouped by domain (`workbench.runs.start(request)`)
 * plus `onEvent`. Never ipcRenderer itself. Each verb forwards one argument on its
 * own channel; main validates it and the sender.
 *
 * Built as CommonJS: a sandboxed preload cannot be an ES module.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channelOf, EVENT_CHANNEL, VERBS, type ApiEvent, type WorkbenchBridge } from '../main/app/bridge.ts';

// Replaced at build time (electron.vite.config.ts `define`): a sandboxed preload cannot read package.json.
declare const __WORKBENCH_VERSION__: string;

const domains: Record<string, Record<string, (request?: unknown) => Promise<unknown>>> = {};
for (const verb of VERBS) {
  const [domain, action] = verb.split('.') as [string, string];
  const channel = channelOf(verb);
  domains[domain] ??= {};
  // One argument only: the renderer cannot smuggle extra payloads through a verb.
  domains[domain][action] = (request?: unknown) => ipcRenderer.invoke(channel, request ?? {});
}

const bridge = {
  version: __WORKBENCH_VERSION__,
  onEvent(listener: (event: ApiEvent) => void): () => void {
    // The Electron event object (with its sender) never reaches the page.
    const forward = (_event: IpcRendererEvent, payload: ApiEvent) => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
  ...domains,
} as unknown as WorkbenchBridge;

contextBridge.exposeInMainWorld('workbench', bridge);
