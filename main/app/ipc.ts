/**
 * IPC for the workbench API: one `ipcMain.handle` per contract verb, each checking
 * its sender (our own top-level renderer page) and passing exactly one argument to
 * the service, which validates it against the verb's schema. Events go only to our
 * own windows.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { channelOf, EVENT_CHANNEL, VERBS, type ApiEvent, type Envelope } from './bridge.ts';

/** Decides whether an IPC event comes from our own renderer. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** What the handlers need of the workbench service. */
export interface ApiHandler {
  handle(verb: unknown, payload: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

/** Registers every verb of the contract. Call once, before the first window. Returns the unregister function. */
export function registerIpcHandlers(service: ApiHandler, isTrustedSender: SenderCheck, isOurContents: (contents: WebContents) => boolean): () => void {
  for (const verb of VERBS) {
    const channel = channelOf(verb);
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'FORBIDDEN', message: `${verb}: refused a request from an untrusted sender (${event.senderFrame?.url ?? 'unknown frame'})` } };
      }
      if (args.length > 1) return { ok: false, error: { code: 'BAD_REQUEST', message: `${verb} takes one argument, got ${args.length}` } };
      return service.handle(verb, args[0]);
    });
  }
  const unsubscribe = service.onEvent((event) => {
    for (const window of BrowserWindow.getAllWindows()) {
      const contents = window.webContents;
      if (!contents.isDestroyed() && isOurContents(contents)) contents.send(EVENT_CHANNEL, event);
    }
  });
  return () => {
    unsubscribe();
    for (const verb of VERBS) ipcMain.removeHandler(channelOf(verb));
  };
}
