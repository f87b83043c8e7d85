// Electron security scan with @doyensec/electronegativity, offline: the Electron-side sources
// (main/app, preload) and the renderer page, scanned together so its global checks (CSP,
// navigation limits, permission handler) see the whole app. No finding of medium severity or
// above may appear, except PRELOAD_JS_CHECK, a "review required" note raised by any preload:
// ours was reviewed (it exposes exactly the contract's verbs; see api-validation.test.ts).
// AvailableSecurityFixesGlobalCheck is skipped: it downloads Electron's release list.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');

/** Rows of a CSV text, honouring quoted fields with commas and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field.trim());
      field = '';
    } else if (c === '\n') {
      row.push(field.trim());
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field.trim() || row.length) rows.push([...row, field.trim()]);
  return rows;
}

describe('Electron security scan (electronegativity)', () => {
  it('finds nothing of medium severity or above beyond the reviewed preload note', async () => {
    const stage = await mkdtemp(path.join(os.tmpdir(), 'clwb-scan-'));
    try {
      await cp(path.join(root, 'main', 'app'), path.join(stage, 'app'), { recursive: true });
      await cp(path.join(root, 'preload'), path.join(stage, 'preload'), { recursive: true });
      await cp(path.join(root, 'renderer', 'index.html'), path.join(stage, 'index.html'));
      const report = path.join(stage, 'report.csv');
      await promisify(execFile)(process.execPath, [cli, '-i', stage, '-e', '45.0.0', '-x', 'AvailableSecurityFixesGlobalCheck', '-r', '-o', report], { timeout: 90_000 });
      const [header, ...rows] = parseCsv(await readFile(report, 'utf8'));
      expect(header[0]).toBe('issue');
      const serious = rows.filter((row) => ['MEDIUM', 'HIGH', 'CRITICAL'].includes(row[1])).map((row) => `${row[0]} ${row[1]} ${row[3]}`);
      expect(serious).toEqual(['PRELOAD_JS_CHECK MEDIUM app/window.ts']);
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  });
});
