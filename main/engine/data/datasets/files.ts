/**
 * Small file helpers shared by the file-based dataset loaders: gzip-aware
 * reading, locating files under alternative names, and the error shapes the
 * loaders throw (DATASET_CORRUPT / CANCELLED always name the file concerned).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WorkbenchError } from '../../errors.ts';

/** A DATASET_CORRUPT error that names the file and says what is wrong with it. */
export function corruptFile(filePath: string, problem: string): WorkbenchError {
  return new WorkbenchError('DATASET_CORRUPT', `${filePath}: ${problem}`, { path: filePath });
}

/** Throws a CANCELLED WorkbenchError when the signal has been aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new WorkbenchError('CANCELLED', 'Dataset loading was cancelled.');
  }
}

/** True when the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads a file and gunzips it when it starts with the gzip magic number, so
 * users may keep either the `.gz` they downloaded or the unpacked file
 * (whatever its name says).
 */
export async function readMaybeGzip(filePath: string): Promise<Buffer> {
  const raw = await readFile(filePath);
  if (!isGzip(raw)) return raw;
  try {
    return gunzipSync(raw);
  } catch (error) {
    throw corruptFile(filePath, `not a valid gzip file (${(error as Error).message})`);
  }
}

/** The first of `names` that exists as a regular file in `folder`, as a full path. */
export function findFile(folder: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    const candidate = path.join(folder, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Total size in bytes of the given files (for read progress). */
export function totalSize(filePaths: readonly string[]): number {
  return filePaths.reduce((sum, filePath) => sum + statSync(filePath).size, 0);
}
