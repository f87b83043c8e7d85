/**
 * The only bridge between the sandboxed renderer and main: exposes
 * `window.workbench`, a small set of named verbs. Never expose ipcRenderer
 * itself; each verb invokes one channel of the shared contract.
 *
 * Built as CommonJS: a sandboxed preload cannot be an ES module.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { Channels, type BackendInfo, type WorkbenchBridge } from '../main/app/bridge.ts';

// Replaced at build time (electron.vite.config.ts `define`): a sandboxed preload cannot read package.json.
declare const __WORKBENCH_VERSION__: string;

const bridge: WorkbenchBridge = {
  version: __WORKBENCH_VERSION__,
  // Arguments are not forwarded: the renderer cannot smuggle extra payloads through this verb.
  backendInfo: () => ipcRenderer.invoke(Channels.backendInfo) as Promise<BackendInfo>,
};

contextBridge.exposeInMainWorld('workbench', bridge);
