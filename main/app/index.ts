/**
 * Electron main process entry: app lifecycle, security defaults, IPC and the window.
 * Training never runs here; the run workers come with the workbench services.
 */
import { app, BrowserWindow, session } from 'electron';
import { fileURLToPath } from 'node:url';
import { createSenderCheck, hardenSession, hardenWebContents } from './security.ts';
import { registerIpcHandlers } from './ipc.ts';
import { createMainWindow, type WindowPaths } from './window.ts';

// Built layout: out/main/index.js next to out/preload and out/renderer.
const paths: WindowPaths = {
  preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
  rendererIndex: fileURLToPath(new URL('../renderer/index.html', import.meta.url)),
};

// Every renderer sandboxed, even one created by mistake without the option.
app.enableSandbox();

// Guards for any web contents, including ones we do not create ourselves (devtools, popups).
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

app.on('window-all-closed', () => {
  // macOS apps stay alive without windows until the user quits.
  if (process.platform !== 'darwin') app.quit();
});

app.whenReady().then(
  () => {
    hardenSession(session.defaultSession);
    registerIpcHandlers(createSenderCheck(paths.rendererIndex));
    createMainWindow(paths);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createMainWindow(paths);
    });
  },
  (error: unknown) => {
    console.error('CL Workbench failed to start:', error);
    app.exit(1);
  },
);
