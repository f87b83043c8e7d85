import type { WorkbenchBridge } from '../../main/app/bridge.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent when the UI runs in a plain browser. */
    readonly workbench?: WorkbenchBridge;
  }
}

export {};
