/**
 * The contract of the preload bridge: IPC channel names and the shapes that cross it.
 *
 * Defined once and imported by both sides (main registers handlers, the preload
 * invokes them), so a renamed channel is a compile error rather than a silent
 * hang. The renderer may import the types only (`import type`). Keep this file
 * free of runtime imports: the sandboxed preload bundles it and the renderer's
 * type-check (no Node types) reads it.
 */

/** IPC channel names, `workbench:` prefixed so they cannot clash with Electron's own. */
export const Channels = {
  /** Reply: {@link BackendInfo}. No arguments. */
  backendInfo: 'workbench:backend-info',
} as const;

/** One of the channel names in {@link Channels}. */
export type Channel = (typeof Channels)[keyof typeof Channels];

/** Where the UI is hosted and what runs it; shown in the UI and recorded with runs later. */
export interface BackendInfo {
  /** `electron` for the desktop app; the headless `serve` host will answer `serve`. */
  host: 'electron' | 'serve';
  /** The workbench version (package.json). */
  appVersion: string;
  /** Runtime versions, e.g. `{ electron, chrome, node }`; absent keys were not reported. */
  versions: Record<string, string>;
  /** `process.platform` of the host, e.g. `linux`. */
  platform: string;
  /** `process.arch` of the host, e.g. `x64`. */
  arch: string;
}

/** What the preload exposes as `window.workbench`: a narrow, named API, never raw IPC. */
export interface WorkbenchBridge {
  /** The workbench version the preload was built with. */
  readonly version: string;
  /** Asks main which host and runtime versions serve this window. */
  backendInfo(): Promise<BackendInfo>;
}
