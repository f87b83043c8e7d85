/** Paths shared by the end-to-end specs. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built renderer (`npm run build`). */
export const builtRendererDir = join(repositoryRoot, 'out', 'renderer');

/** The built Electron main entry (`npm run build`). */
export const builtMainEntry = join(repositoryRoot, 'out', 'main', 'index.js');

/**
 * The downloaded Electron executable, or why there is none. Found by hand:
 * `require('electron')` would start a download and throw where that fails.
 */
export function findElectronBinary(): { path: string } | { missing: string } {
  const electronDir = join(repositoryRoot, 'node_modules', 'electron');
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return { missing: `the Electron binary is not downloaded (${pathFile} is absent; \`npx install-electron\` fetches it where the network allows)` };
  }
  const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { missing: `the Electron binary ${binary} named by path.txt is absent` };
  return { path: binary };
}
