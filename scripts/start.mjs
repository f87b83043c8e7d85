#!/usr/bin/env node
// `npm start`: build the app with electron-vite, then launch Electron on it.
//
// Electron >= 42 fetches its binary on first launch instead of at install time.
// Where that fetch is impossible (offline CI, locked-down GPU servers) we say so
// plainly and point at the headless `clwb` commands rather than hang or throw a
// stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// Long enough for a real download on a slow line; short enough that a blocked network cannot hang `npm start`.
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

/** Runs `electron-vite build` (what `npm run build` runs); exits on failure. */
function build() {
  const pkgPath = require.resolve('electron-vite/package.json');
  const bin = join(dirname(pkgPath), JSON.parse(readFileSync(pkgPath, 'utf8')).bin['electron-vite']);
  const result = spawnSync(process.execPath, [bin, 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\nnpm start: the build failed (${result.error?.message ?? `exit code ${result.status}`}).`);
    process.exit(result.status || 1);
  }
}

/**
 * The Electron executable if it is already on disk. We do not `require('electron')`
 * for this: that call starts a download and throws when it fails.
 */
function findElectronBinary() {
  const electronDir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** Fetches the binary the way Electron itself does on first launch; returns why it failed, if it did. */
function downloadElectron() {
  console.log('npm start: the Electron binary is not downloaded yet; fetching it (one time)...');
  const installer = join(dirname(require.resolve('electron/package.json')), 'install.js');
  const result = spawnSync(process.execPath, [installer], { cwd: root, stdio: 'inherit', timeout: DOWNLOAD_TIMEOUT_MS });
  if (result.error) return `downloading the Electron binary failed: ${result.error.message}`;
  if (result.signal) return `downloading the Electron binary was stopped (${result.signal}) after ${DOWNLOAD_TIMEOUT_MS / 1000} s`;
  if (result.status !== 0) return `downloading the Electron binary failed (installer exit code ${result.status}; its error is above)`;
  return undefined;
}

/** Explains why the desktop app cannot start here and what still works; exits non-zero. */
function giveUp(what) {
  console.error(
    [
      '',
      `npm start: cannot launch the desktop app: ${what}.`,
      'This machine cannot fetch or run the Electron binary (no network access to its download, or no display).',
      'The engine runs without a window: the headless commands work here, for example',
      '  npx clwb run examples/split-mnist-quick.json',
      'Where a network is available, `npx install-electron` fetches the binary; then run `npm start` again.',
    ].join('\n'),
  );
  process.exit(1);
}

build();

let electron = findElectronBinary();
if (!electron) {
  const failure = downloadElectron();
  electron = findElectronBinary();
  if (!electron) giveUp(failure ?? 'the Electron binary is still missing after the download');
}

if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  giveUp('there is no display ($DISPLAY and $WAYLAND_DISPLAY are unset; try `xvfb-run npm start`)');
}

const child = spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('error', (error) => giveUp(`launching ${electron} failed: ${error.message}`));
child.on('exit', (code, signal) => {
  if (signal) console.error(`npm start: Electron was stopped by ${signal}.`);
  else if (code !== 0 && process.getuid?.() === 0) {
    console.error('npm start: Electron exited with an error. Running as root? Chromium refuses to run as root without --no-sandbox.');
  }
  process.exit(code ?? 1);
});
// Closing the terminal or Ctrl+C closes the app too.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
