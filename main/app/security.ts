/**
 * Electron security settings for every session and web contents we create,
 * following Electron's security checklist: strict CSP, no remote content, no
 * navigation or new windows, no permissions, IPC only from our own renderer.
 */
import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent, Session, WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from './bridge.ts';

/**
 * The Content-Security-Policy of the renderer (defined once in the API contract, shared
 * with `clwb serve`). renderer/index.html carries the same policy in a meta tag: a
 * file:// page gets no response headers, so the header alone would not cover the
 * packaged app.
 */
export { CONTENT_SECURITY_POLICY };

/** Schemes the app never loads: everything it shows ships inside the app. */
const REMOTE_URL_PATTERNS = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*'];

/**
 * Applies CSP headers, blocks remote requests and denies every permission
 * (camera, notifications, USB ...) on a session. The workbench needs none of them.
 */
export function hardenSession(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.webRequest.onBeforeRequest({ urls: REMOTE_URL_PATTERNS }, (_details, callback) => {
    callback({ cancel: true });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}

/**
 * Blocks navigation, new windows and <webview> for one web contents. The app
 * is a single page: any navigation is a bug or an attack (e.g. a dropped link).
 */
export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * Builds a sender check for IPC handlers: true only for a top-level frame
 * showing our own renderer page, whatever its hash or query.
 *
 * @param rendererIndexPath absolute path of out/renderer/index.html
 */
export function createSenderCheck(rendererIndexPath: string): (event: IpcMainInvokeEvent) => boolean {
  const expected = pathToFileURL(rendererIndexPath);
  return (event) => {
    const frame = event.senderFrame;
    // A frame that navigated away or was destroyed reports null.
    if (!frame || frame.parent !== null) return false;
    return isRendererUrl(frame.url, expected);
  };
}

/** True for web contents showing our own renderer page (where events may be sent). */
export function createContentsCheck(rendererIndexPath: string): (contents: WebContents) => boolean {
  const expected = pathToFileURL(rendererIndexPath);
  return (contents) => isRendererUrl(contents.getURL(), expected);
}

/** True when `url` is the file:// URL `expected`, ignoring hash and query. */
export function isRendererUrl(url: string, expected: URL): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'file:' && parsed.host === expected.host && parsed.pathname === expected.pathname;
}
