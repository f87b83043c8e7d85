/**
 * Electron main process entry: app lifecycle, security defaults, the workbench
 * service behind IPC, and the window. Training never runs here: each run gets its
 * own utility process (out/main/worker.js).
 */
import { app, BrowserWindow, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkbenchService } from '../workbench/api/service.ts';
import { listGpus } from '../workbench/scheduler/concurrency.ts';
import { createContentsCheck, createSenderCheck, hardenSession, hardenWebContents } from './security.ts';
import { registerIpcHandlers } from './ipc.ts';
import { utilityProcessLauncher } from './worker-launcher.ts';
import { createMainWindow, type WindowPaths } from './window.ts';

// Built layout: out/main/index.js next to out/main/worker.js, out/preload and out/renderer.
const paths: WindowPaths = {
  preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
  rendererIndex: fileURLToPath(new URL('../renderer/index.html', import.meta.url)),
};
const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

/** `--project DIR` on the command line (after Electron's own arguments). */
function projectArgument(): string | undefined {
  const index = process.argv.indexOf('--project');
  return index >= 0 ? process.argv[index + 1] : undefined;
}

// Every renderer sandboxed, even one created by mistake without the option.
app.enableSandbox();

// Guards for any web contents, including ones we do not create ourselves (devtools, popups).
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

let service: WorkbenchService | undefined;

app.on('window-all-closed', () => {
  // macOS apps stay alive without windows until the user quits.
  if (process.platform !== 'darwin') app.quit();
});

// Closing the app stops running workers; their runs are offered for resume next time.
app.on('will-quit', (event) => {
  if (!service) return;
  event.preventDefault();
  const closing = service;
  service = undefined;
  void closing.close().finally(() => app.quit());
});

async function start(): Promise<void> {
  hardenSession(session.defaultSession);
  const gpus = await listGpus();
  service = await WorkbenchService.create({
    host: 'electron',
    versions: Object.fromEntries(Object.entries({ electron: process.versions.electron, chrome: process.versions.chrome, node: process.versions.node }).filter((entry): entry is [string, string] => !!entry[1])),
    userDataDir: process.env.CLWB_HOME ? path.resolve(process.env.CLWB_HOME) : app.getPath('userData'),
    launcher: utilityProcessLauncher(workerPath, { gpus: gpus.length }),
    sampleProjectSource: path.join(app.getAppPath(), 'resources', 'sample-project'),
  });
  const project = projectArgument();
  await service.openInitialProject(project ? path.resolve(project) : undefined).catch((error: unknown) => console.error('CL Workbench: could not open a project:', error));
  registerIpcHandlers(service, createSenderCheck(paths.rendererIndex), createContentsCheck(paths.rendererIndex));
  createMainWindow(paths);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow(paths);
  });
}

app.whenReady().then(start).catch((error: unknown) => {
  console.error('CL Workbench failed to start:', error);
  app.exit(1);
});
