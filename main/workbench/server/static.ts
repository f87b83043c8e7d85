/**
 * Serving the built renderer: a request path becomes a file inside the root folder,
 * or nothing. Encoded or plain `..`, backslashes, NUL bytes, absolute paths and
 * symbolic links that lead outside the root are all refused.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

export type Resolved = { file: string; contentType: string } | { refused: 'traversal' | 'not-found' };

/**
 * The file under `root` that `pathname` (still percent-encoded, as in the URL) names.
 * `/` is index.html.
 */
export async function resolveStatic(root: string, pathname: string): Promise<Resolved> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { refused: 'traversal' };
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return { refused: 'traversal' };
  const segments = decoded.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.')) return { refused: 'traversal' };
  const relative = decoded === '/' ? 'index.html' : decoded.slice(1);
  const realRoot = await fs.realpath(root);
  const candidate = path.resolve(realRoot, relative);
  if (candidate !== realRoot && !candidate.startsWith(realRoot + path.sep)) return { refused: 'traversal' };
  let real: string;
  try {
    real = await fs.realpath(candidate);
  } catch {
    return { refused: 'not-found' };
  }
  // A link inside the root that points outside it is refused like `..`.
  if (!real.startsWith(realRoot + path.sep)) return { refused: 'traversal' };
  try {
    if (!(await fs.stat(real)).isFile()) return { refused: 'not-found' };
  } catch {
    return { refused: 'not-found' };
  }
  return { file: real, contentType: CONTENT_TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream' };
}
