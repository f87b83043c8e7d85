/** IPC handlers of the main process. Each one checks its sender before doing anything. */
import { app, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { Channels, type BackendInfo } from './bridge.ts';

/** Decides whether an IPC event comes from our own renderer. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** Registers every handler of the bridge contract. Call once, before the first window. */
export function registerIpcHandlers(isTrustedSender: SenderCheck): void {
  handle(Channels.backendInfo, isTrustedSender, () => backendInfo());
}

/** What this host reports about itself. */
export function backendInfo(): BackendInfo {
  const { electron, chrome, node } = process.versions;
  const versions: Record<string, string> = {};
  for (const [name, version] of Object.entries({ electron, chrome, node })) {
    if (version) versions[name] = version;
  }
  return { host: 'electron', appVersion: app.getVersion(), versions, platform: process.platform, arch: process.arch };
}

/** ipcMain.handle with the sender check in front, so no handler can forget it. */
function handle<T>(channel: string, isTrustedSender: SenderCheck, reply: (event: IpcMainInvokeEvent) => T): void {
  ipcMain.handle(channel, (event) => {
    if (!isTrustedSender(event)) {
      throw new Error(`${channel}: refused a request from an untrusted sender (${event.senderFrame?.url ?? 'unknown frame'})`);
    }
    return reply(event);
  });
}
