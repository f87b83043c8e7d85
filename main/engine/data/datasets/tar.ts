/**
 * A minimal tar reader (POSIX ustar, with GNU long names and pax `path`
 * records) for unpacking the CIFAR archives without a new dependency. Only
 * regular files and folders are extracted; links and devices are skipped.
 * The archive is read into memory whole: the CIFAR archives unpack to under
 * 200 MB, which is simpler and fast enough for a once-only step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { corruptFile, isGzip, throwIfCancelled } from './files.ts';

const BLOCK = 512;

/** One archive member, as read from its header. */
export interface TarEntry {
  /** Path inside the archive, with `/` separators, no leading `./`. */
  name: string;
  type: 'file' | 'directory' | 'other';
  /** The content (a view into the archive buffer) for files; empty otherwise. */
  data: Uint8Array;
}

/**
 * Parses an uncompressed tar archive. `source` names it in error messages.
 * Throws DATASET_CORRUPT on a bad header checksum, a truncated member, or a
 * member path that would escape the destination (absolute or with `..`).
 */
export function parseTar(archive: Uint8Array, source = 'archive'): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  // Names announced by a GNU 'L' or pax 'x' member apply to the member after it.
  let pendingName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break; // end-of-archive marker
    checkHeaderChecksum(header, offset, source);
    const size = readSize(header.subarray(124, 136), offset, source);
    const typeFlag = String.fromCharCode(header[156]);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) {
      throw corruptFile(source, `tar member at byte ${offset} declares ${size} bytes but the archive ends after ${archive.length - dataStart}`);
    }
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (typeFlag === 'L') {
      pendingName = readString(data);
      continue;
    }
    if (typeFlag === 'x') {
      pendingName = paxPath(data) ?? pendingName;
      continue;
    }
    if (typeFlag === 'g' || typeFlag === 'K') continue; // global pax headers, GNU long link names
    const name = safeName(pendingName ?? headerName(header), source);
    pendingName = undefined;
    if (name === '') continue; // the archive's own root, e.g. "./"
    if (typeFlag === '0' || typeFlag === '\0' || typeFlag === '7') {
      entries.push({ name, type: 'file', data });
    } else if (typeFlag === '5') {
      entries.push({ name, type: 'directory', data: new Uint8Array(0) });
    } else {
      entries.push({ name, type: 'other', data: new Uint8Array(0) });
    }
  }
  return entries;
}

/**
 * Unpacks a `.tar.gz` (or plain `.tar`) file into `destination`, creating
 * folders as needed. Returns the paths of the files written, relative to
 * `destination`.
 */
export async function extractTarGz(archivePath: string, destination: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
  const raw = await readFile(archivePath);
  let archive: Uint8Array = raw;
  if (isGzip(raw)) {
    try {
      archive = gunzipSync(raw);
    } catch (error) {
      throw corruptFile(archivePath, `not a valid gzip file (${(error as Error).message})`);
    }
  }
  const entries = parseTar(archive, archivePath);
  const written: string[] = [];
  mkdirSync(destination, { recursive: true });
  for (const entry of entries) {
    throwIfCancelled(options.signal);
    const target = path.join(destination, ...entry.name.split('/'));
    if (entry.type === 'directory') {
      mkdirSync(target, { recursive: true });
    } else if (entry.type === 'file') {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, entry.data);
      written.push(entry.name);
    }
  }
  return written;
}

function checkHeaderChecksum(header: Uint8Array, offset: number, source: string): void {
  const stored = parseOctal(header.subarray(148, 156));
  let sum = 0;
  for (let index = 0; index < BLOCK; index++) {
    // The checksum field itself counts as eight spaces.
    sum += index >= 148 && index < 156 ? 0x20 : header[index];
  }
  if (stored === undefined || stored !== sum) {
    throw corruptFile(source, `tar header at byte ${offset} has a bad checksum (not a tar archive, or damaged)`);
  }
}

function readSize(field: Uint8Array, offset: number, source: string): number {
  // GNU base-256 encoding for sizes over 8 GiB: high bit set, big-endian.
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let index = 1; index < field.length; index++) value = value * 256 + field[index];
    return value;
  }
  const value = parseOctal(field);
  if (value === undefined) throw corruptFile(source, `tar header at byte ${offset} has an unreadable size`);
  return value;
}

function parseOctal(field: Uint8Array): number | undefined {
  const text = readString(field).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function readString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

function headerName(header: Uint8Array): string {
  const name = readString(header.subarray(0, 100));
  const magic = readString(header.subarray(257, 263));
  // ustar splits long paths into a prefix field and the name field.
  const prefix = magic.startsWith('ustar') ? readString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** The `path` value of a pax extended header ("<length> path=<value>\n" records). */
function paxPath(data: Uint8Array): string | undefined {
  const text = Buffer.from(data).toString('utf8');
  let result: string | undefined;
  for (const record of text.split('\n')) {
    const match = /^\d+ path=(.*)$/s.exec(record);
    if (match) result = match[1];
  }
  return result;
}

function safeName(raw: string, source: string): string {
  const name = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || parts.includes('..')) {
    throw corruptFile(source, `tar member "${raw}" has an unsafe path (absolute, or with "..")`);
  }
  return parts.join('/');
}
