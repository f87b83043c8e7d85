/**
 * Imported datasets: a researcher's own data (a CSV file, or a folder of images
 * per class) converted once into a simple persistent format in the cache, then
 * registered like any other dataset under a `user-` id (so it never collides
 * with a built-in one).
 *
 * Layout: `<cacheDir>/imported/<id>/dataset.json` (see {@link ImportedManifest})
 * plus `train.bin` and `test.bin`, each `count * inputSize` little-endian float32
 * pixels in [0, 1] (sample-major, HWC) followed by `count` little-endian int32
 * labels. A dataset is written into a temporary folder and renamed into place,
 * so a half-written import is never listed.
 *
 * Splits: two files (`train.csv`/`test.csv`, or `train/<class>/…` and
 * `test/<class>/…`) are kept as given; otherwise the last 20 % of each class (in
 * file order, rounded down, at least one sample when the class has two or more)
 * is the test split, so the same input always gives the same split.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { WorkbenchError } from '../../errors.ts';
import type { Dataset, DatasetEntry, DatasetProgress, DataSplit } from '../types.ts';
import { corruptFile } from './files.ts';
import { listDatasets, registerDataset, setDatasetResolver } from './registry.ts';

export const IMPORTED_SCHEMA_VERSION = 1;
/** Every imported dataset's id starts with this, so none can shadow a built-in id. */
export const IMPORTED_ID_PREFIX = 'user-';
/** Share of each class that goes to the test split when the source has no split of its own. */
export const TEST_FRACTION = 0.2;

/** `dataset.json` of an imported dataset. */
export interface ImportedManifest {
  schemaVersion: 1;
  id: string;
  name: string;
  inputShape: [number, number, number];
  numClasses: number;
  classNames: string[];
  counts: { train: number; test: number };
  /** Where it was imported from, e.g. `csv /data/digits.csv`. */
  source: string;
  createdAt: string;
}

/** Samples as an importer produced them, before they are written. */
export interface ImportedData {
  inputShape: [number, number, number];
  classNames: string[];
  train: DataSplit;
  test: DataSplit;
  source: string;
}

export interface ImportOptions {
  /** Human name; the id is `user-<slug of name>` (made unique). */
  name: string;
  /** [height, width, channels]; CSV default: square grayscale when the pixel count is a square, else [1, n, 1]. */
  inputShape?: [number, number, number];
  onProgress?: (progress: DatasetProgress) => void;
}

/** The folder imported datasets live in. */
export function importedRoot(cacheDir: string): string {
  return path.join(cacheDir, 'imported');
}

// ---------------------------------------------------------------------------
// Persistent format
// ---------------------------------------------------------------------------

function splitBytes(split: DataSplit): Buffer {
  const buffer = Buffer.alloc(split.x.length * 4 + split.count * 4);
  for (let i = 0; i < split.x.length; i++) buffer.writeFloatLE(split.x[i]!, i * 4);
  const offset = split.x.length * 4;
  for (let i = 0; i < split.count; i++) buffer.writeInt32LE(split.y[i]!, offset + i * 4);
  return buffer;
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'dataset'
  );
}

/** Writes an imported dataset into the cache under a fresh `user-` id, registers it, and returns its manifest. */
export async function saveImportedDataset(cacheDir: string, name: string, data: ImportedData): Promise<ImportedManifest> {
  const root = importedRoot(cacheDir);
  await fs.mkdir(root, { recursive: true });
  const base = `${IMPORTED_ID_PREFIX}${slug(name)}`;
  const taken = new Set(listDatasets().map((entry) => entry.id));
  let id = base;
  for (let n = 2; taken.has(id) || existsSync(path.join(root, id)); n++) id = `${base}-${n}`;
  const manifest: ImportedManifest = {
    schemaVersion: IMPORTED_SCHEMA_VERSION,
    id,
    name,
    inputShape: data.inputShape,
    numClasses: data.classNames.length,
    classNames: data.classNames,
    counts: { train: data.train.count, test: data.test.count },
    source: data.source,
    createdAt: new Date().toISOString(),
  };
  const temporary = path.join(root, `.${id}.${randomBytes(4).toString('hex')}.part`);
  try {
    await fs.mkdir(temporary);
    await fs.writeFile(path.join(temporary, 'train.bin'), splitBytes(data.train));
    await fs.writeFile(path.join(temporary, 'test.bin'), splitBytes(data.test));
    await fs.writeFile(path.join(temporary, 'dataset.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rename(temporary, path.join(root, id));
  } finally {
    await fs.rm(temporary, { recursive: true, force: true });
  }
  registerDataset(importedEntry(path.join(root, id), manifest), { replace: true });
  return manifest;
}

const isPositiveInt = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** Reads and checks `<folder>/dataset.json`; DATASET_CORRUPT naming the file when it is not a valid manifest. */
export function readImportedManifest(folder: string): ImportedManifest {
  const file = path.join(folder, 'dataset.json');
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new WorkbenchError('DATASET_MISSING', `${file} does not exist`, { path: file });
    throw corruptFile(file, `not valid JSON (${(error as Error).message})`);
  }
  const m = value as Partial<ImportedManifest> | null;
  const problems: string[] = [];
  if (typeof m !== 'object' || m === null) throw corruptFile(file, 'not a JSON object');
  if (m.schemaVersion !== IMPORTED_SCHEMA_VERSION) problems.push(`schemaVersion must be ${IMPORTED_SCHEMA_VERSION}`);
  if (typeof m.id !== 'string' || !m.id.startsWith(IMPORTED_ID_PREFIX)) problems.push(`id must be a string starting with ${IMPORTED_ID_PREFIX}`);
  if (typeof m.name !== 'string') problems.push('name must be a string');
  if (!Array.isArray(m.inputShape) || m.inputShape.length !== 3 || !m.inputShape.every(isPositiveInt)) problems.push('inputShape must be three positive integers');
  if (!Array.isArray(m.classNames) || !m.classNames.every((c) => typeof c === 'string')) problems.push('classNames must be strings');
  else if (m.numClasses !== m.classNames.length || m.numClasses < 1) problems.push('numClasses must equal the number of class names (at least 1)');
  if (typeof m.counts !== 'object' || m.counts === null || !isCount(m.counts.train) || !isCount(m.counts.test)) problems.push('counts must hold train and test sample counts');
  if (problems.length > 0) throw corruptFile(file, problems.join('; '));
  return { ...(m as ImportedManifest), source: typeof m.source === 'string' ? m.source : '', createdAt: typeof m.createdAt === 'string' ? m.createdAt : '' };
}

async function readSplit(file: string, count: number, inputSize: number, numClasses: number): Promise<DataSplit> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new WorkbenchError('DATASET_MISSING', `${file} does not exist`, { path: file });
    throw error;
  }
  const expected = count * inputSize * 4 + count * 4;
  if (bytes.length !== expected) throw corruptFile(file, `${bytes.length} bytes, expected ${expected} (${count} samples of ${inputSize} floats and a label); the file is truncated or not this dataset's`);
  const x = new Float32Array(count * inputSize);
  for (let i = 0; i < x.length; i++) x[i] = bytes.readFloatLE(i * 4);
  const y = new Int32Array(count);
  const offset = x.length * 4;
  for (let i = 0; i < count; i++) {
    const label = bytes.readInt32LE(offset + i * 4);
    if (label < 0 || label >= numClasses) throw corruptFile(file, `sample ${i} has label ${label}, outside [0, ${numClasses})`);
    y[i] = label;
  }
  return { x, y, count };
}

/** Loads an imported dataset from its folder (`<cacheDir>/imported/<id>`). */
export async function loadImportedDataset(folder: string): Promise<Dataset> {
  const manifest = readImportedManifest(folder);
  const inputSize = manifest.inputShape[0] * manifest.inputShape[1] * manifest.inputShape[2];
  const train = await readSplit(path.join(folder, 'train.bin'), manifest.counts.train, inputSize, manifest.numClasses);
  const test = await readSplit(path.join(folder, 'test.bin'), manifest.counts.test, inputSize, manifest.numClasses);
  return {
    id: manifest.id,
    name: manifest.name,
    inputShape: manifest.inputShape,
    numClasses: manifest.numClasses,
    classNames: manifest.classNames,
    train,
    test,
    source: `imported ${folder} (from ${manifest.source})`,
  };
}

/** The registry entry of an imported dataset in `folder`. */
export function importedEntry(folder: string, manifest: ImportedManifest): DatasetEntry {
  return {
    id: manifest.id,
    name: manifest.name,
    description: `Imported from ${manifest.source}: ${manifest.counts.train} train / ${manifest.counts.test} test samples.`,
    inputShape: manifest.inputShape,
    numClasses: manifest.numClasses,
    bundled: false,
    load: () => loadImportedDataset(folder),
  };
}

/**
 * Registers every imported dataset found in `<cacheDir>/imported` (replacing
 * entries of the same id); a folder whose manifest is unreadable is skipped.
 * Returns the ids registered.
 */
export function registerImportedDatasets(cacheDir: string): string[] {
  const root = importedRoot(cacheDir);
  let names: string[];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(IMPORTED_ID_PREFIX)).sort();
  } catch {
    return [];
  }
  const ids: string[] = [];
  for (const name of names) {
    const folder = path.join(root, name);
    try {
      const manifest = readImportedManifest(folder);
      if (manifest.id !== name) continue;
      registerDataset(importedEntry(folder, manifest), { replace: true });
      ids.push(manifest.id);
    } catch {
      // A broken import must not hide the others; loading it by id reports the problem.
    }
  }
  return ids;
}

// Any process (a run worker, the CLI) resolves a `user-` id from the cache it loads from.
setDatasetResolver((id, cacheDir) => {
  if (!id.startsWith(IMPORTED_ID_PREFIX) || id.includes('/') || id.includes('\\') || id.includes('..')) return undefined;
  const folder = path.join(importedRoot(cacheDir), id);
  if (!existsSync(path.join(folder, 'dataset.json'))) return undefined;
  const manifest = readImportedManifest(folder);
  return manifest.id === id ? importedEntry(folder, manifest) : undefined;
});

// ---------------------------------------------------------------------------
// Shared: labels, shape and split
// ---------------------------------------------------------------------------

interface Sample {
  pixels: Float32Array;
  label: number;
}

/** Last TEST_FRACTION of each class (file order) to test, the rest to train. */
export function splitPerClass<T extends { label: number }>(samples: T[]): { train: T[]; test: T[] } {
  const perClass = new Map<number, number[]>();
  samples.forEach((sample, index) => {
    const list = perClass.get(sample.label) ?? [];
    list.push(index);
    perClass.set(sample.label, list);
  });
  const isTest = new Set<number>();
  for (const indices of perClass.values()) {
    const n = indices.length;
    const testCount = n >= 2 ? Math.max(1, Math.floor(n * TEST_FRACTION)) : 0;
    for (const index of indices.slice(n - testCount)) isTest.add(index);
  }
  return { train: samples.filter((_, i) => !isTest.has(i)), test: samples.filter((_, i) => isTest.has(i)) };
}

function toSplit(samples: Sample[], inputSize: number): DataSplit {
  const x = new Float32Array(samples.length * inputSize);
  const y = new Int32Array(samples.length);
  samples.forEach((sample, i) => {
    x.set(sample.pixels, i * inputSize);
    y[i] = sample.label;
  });
  return { x, y, count: samples.length };
}

function checkShape(shape: [number, number, number], size: number, where: string): void {
  if (shape.length !== 3 || !shape.every(isPositiveInt)) throw new WorkbenchError('SPEC_INVALID', `The image shape must be three positive integers [height, width, channels], got ${JSON.stringify(shape)}`, { path: 'inputShape' });
  if (shape[0] * shape[1] * shape[2] !== size) {
    throw new WorkbenchError('SPEC_INVALID', `The image shape ${shape.join('x')} has ${shape[0] * shape[1] * shape[2]} values but ${where} has ${size}`, { path: 'inputShape' });
  }
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

interface CsvRow {
  file: string;
  line: number;
  label: string;
  values: number[];
}

function csvError(file: string, line: number, message: string, column?: number): WorkbenchError {
  const where = column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
  return new WorkbenchError('DATASET_CORRUPT', `${where}: ${message}`, { path: file, line, ...(column === undefined ? {} : { column }) });
}

/** Parses one CSV file: label column (0-based), header detection, numeric pixel columns. */
function parseCsv(file: string, text: string, labelColumn: number | undefined): { rows: CsvRow[]; header?: string[] } {
  const lines = text.split(/\r?\n/);
  const rows: CsvRow[] = [];
  let width: number | undefined;
  let header: string[] | undefined;
  let label = labelColumn ?? 0;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const cells = raw.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    if (width === undefined) {
      if (cells.length < 2) throw csvError(file, line, `too few columns: ${cells.length}; a row needs a label and at least one pixel value`);
      width = cells.length;
      const pixelCells = cells.filter((_, c) => c !== label);
      if (header === undefined && pixelCells.some((cell) => cell === '' || !Number.isFinite(Number(cell)))) {
        header = cells;
        if (labelColumn === undefined) {
          const named = cells.findIndex((cell) => /^(label|class|target|y)$/i.test(cell));
          if (named >= 0) label = named;
        }
        continue;
      }
    }
    if (cells.length !== width) throw csvError(file, line, `ragged row: ${cells.length} columns where the ${header ? 'header' : 'first row'} has ${width}`);
    const values: number[] = [];
    for (let c = 0; c < cells.length; c++) {
      if (c === label) continue;
      const cell = cells[c]!;
      const value = cell === '' ? Number.NaN : Number(cell);
      if (!Number.isFinite(value)) throw csvError(file, line, `non-numeric pixel value ${JSON.stringify(cell)}`, c + 1);
      if (value < 0 || value > 255) throw csvError(file, line, `pixel value ${cell} is outside 0–255`, c + 1);
      values.push(value);
    }
    const labelCell = cells[label];
    if (labelCell === undefined || labelCell === '') throw csvError(file, line, 'empty label', label + 1);
    rows.push({ file, line, label: labelCell, values });
  }
  if (rows.length === 0) throw new WorkbenchError('DATASET_CORRUPT', `${file}: no data rows`, { path: file });
  return header ? { rows, header } : { rows };
}

export interface CsvSource {
  /** The CSV file (split per class), or the training file when `test` is given. */
  train: string;
  test?: string;
  /** 0-based label column (default: a header column named label/class/target/y, else the first). */
  labelColumn?: number;
}

/** `source` as the API and CLI give it: a CSV file, or a folder with train.csv and test.csv. */
export function csvSourceOf(source: string): CsvSource {
  let stat;
  try {
    stat = statSync(source);
  } catch {
    throw new WorkbenchError('DATASET_MISSING', `${source} does not exist`, { path: source });
  }
  if (!stat.isDirectory()) return { train: source };
  const train = path.join(source, 'train.csv');
  const test = path.join(source, 'test.csv');
  if (!existsSync(train) || !existsSync(test)) throw new WorkbenchError('DATASET_MISSING', `${source} is a folder without train.csv and test.csv; give a CSV file or such a folder`, { path: source });
  return { train, test };
}

/** Reads CSV files into samples (labels as integers or class names, pixels scaled to [0, 1]). */
export async function readCsvDataset(source: CsvSource, options: Omit<ImportOptions, 'name'> = {}): Promise<ImportedData> {
  const files = source.test ? [source.train, source.test] : [source.train];
  const parsed = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new WorkbenchError(missing ? 'DATASET_MISSING' : 'IO', `Cannot read ${file}: ${missing ? 'no such file' : (error as Error).message}`, { path: file });
    }
    options.onProgress?.({ phase: 'read', loaded: parsed.length + 1, total: files.length, message: path.basename(file) });
    parsed.push(parseCsv(file, text, source.labelColumn));
  }
  const all = parsed.flatMap((p) => p.rows);
  const size = all[0]!.values.length;
  for (const row of all) {
    if (row.values.length !== size) throw csvError(row.file, row.line, `${row.values.length} pixel values where ${all[0]!.file} has ${size}`);
  }
  // Integer labels are class indices; anything else is a class name (sorted).
  const numeric = all.every((row) => /^\d+$/.test(row.label));
  let classNames: string[];
  let labelOf: (label: string) => number;
  if (numeric) {
    const max = Math.max(...all.map((row) => Number(row.label)));
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
    labelOf = Number;
  } else {
    classNames = [...new Set(all.map((row) => row.label))].sort();
    const index = new Map(classNames.map((name, i) => [name, i]));
    labelOf = (label) => index.get(label)!;
  }
  const scale = all.some((row) => row.values.some((v) => v > 1)) ? 1 / 255 : 1;
  const shape: [number, number, number] = options.inputShape ?? (Number.isInteger(Math.sqrt(size)) ? [Math.sqrt(size), Math.sqrt(size), 1] : [1, size, 1]);
  checkShape(shape, size, `each row of ${source.train}`);
  const toSamples = (rows: CsvRow[]): Sample[] => rows.map((row) => ({ label: labelOf(row.label), pixels: Float32Array.from(row.values, (v) => v * scale) }));
  const split = parsed.length === 2 ? { train: toSamples(parsed[0]!.rows), test: toSamples(parsed[1]!.rows) } : splitPerClass(toSamples(parsed[0]!.rows));
  return {
    inputShape: shape,
    classNames,
    train: toSplit(split.train, size),
    test: toSplit(split.test, size),
    source: `csv ${files.join(' + ')}`,
  };
}

/** Imports CSV data into the cache; returns the new dataset's manifest. */
export async function importCsvDataset(cacheDir: string, source: string | CsvSource, options: ImportOptions): Promise<ImportedManifest> {
  const data = await readCsvDataset(typeof source === 'string' ? csvSourceOf(source) : source, options);
  return saveImportedDataset(cacheDir, options.name, data);
}

// ---------------------------------------------------------------------------
// Image folders
// ---------------------------------------------------------------------------

const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

interface DecodedImage {
  width: number;
  height: number;
  /** RGBA bytes. */
  data: Uint8Array;
}

function decodeImage(file: string, bytes: Buffer): DecodedImage {
  try {
    if (/\.png$/i.test(file)) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: png.data };
    }
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: image.width, height: image.height, data: image.data };
  } catch (error) {
    throw corruptFile(file, `cannot decode the image (${(error as Error).message})`);
  }
}

function subfolders(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

function imagesIn(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.test(entry.name))
    .map((entry) => path.join(folder, entry.name))
    .sort();
}

/**
 * Reads `<folder>/<class>/*.png|jpg|jpeg` (or `<folder>/train/<class>/…` and
 * `<folder>/test/<class>/…`). All images must share one size; the dataset is
 * grayscale when every image is gray, else RGB (alpha dropped).
 */
export async function readImageFolderDataset(folder: string, options: Omit<ImportOptions, 'name'> = {}): Promise<ImportedData> {
  let stat;
  try {
    stat = statSync(folder);
  } catch {
    throw new WorkbenchError('DATASET_MISSING', `${folder} does not exist`, { path: folder });
  }
  if (!stat.isDirectory()) throw new WorkbenchError('DATASET_MISSING', `${folder} is not a folder (expected one subfolder of images per class)`, { path: folder });
  const top = subfolders(folder);
  const splitLayout = top.includes('train') && top.includes('test');
  const trainRoot = splitLayout ? path.join(folder, 'train') : folder;
  const classNames = subfolders(trainRoot);
  if (classNames.length === 0) throw new WorkbenchError('DATASET_MISSING', `${trainRoot} has no class subfolders (expected <class name>/<image>.png|jpg)`, { path: trainRoot });
  const classIndex = new Map(classNames.map((name, i) => [name, i]));
  const listed: { file: string; label: number; test: boolean }[] = [];
  for (const name of classNames) {
    const files = imagesIn(path.join(trainRoot, name));
    if (files.length === 0) throw new WorkbenchError('DATASET_MISSING', `${path.join(trainRoot, name)} has no .png, .jpg or .jpeg images`, { path: path.join(trainRoot, name) });
    for (const file of files) listed.push({ file, label: classIndex.get(name)!, test: false });
  }
  if (splitLayout) {
    const testRoot = path.join(folder, 'test');
    for (const name of subfolders(testRoot)) {
      const label = classIndex.get(name);
      if (label === undefined) throw new WorkbenchError('DATASET_CORRUPT', `${path.join(testRoot, name)}: class "${name}" has no training folder in ${trainRoot}`, { path: path.join(testRoot, name) });
      for (const file of imagesIn(path.join(testRoot, name))) listed.push({ file, label, test: true });
    }
  }
  let first: { file: string; width: number; height: number } | undefined;
  let gray = true;
  const decoded: { rgb: Uint8Array; label: number; test: boolean }[] = [];
  for (const [i, item] of listed.entries()) {
    const image = decodeImage(item.file, await fs.readFile(item.file));
    if (!first) first = { file: item.file, width: image.width, height: image.height };
    else if (image.width !== first.width || image.height !== first.height) {
      throw new WorkbenchError('DATASET_CORRUPT', `${item.file} is ${image.width}x${image.height} but ${first.file} is ${first.width}x${first.height}; all images must have one size`, { path: item.file });
    }
    const pixels = image.width * image.height;
    const rgb = new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      const r = image.data[p * 4]!;
      const g = image.data[p * 4 + 1]!;
      const b = image.data[p * 4 + 2]!;
      rgb[p * 3] = r;
      rgb[p * 3 + 1] = g;
      rgb[p * 3 + 2] = b;
      if (gray && (r !== g || g !== b)) gray = false;
    }
    decoded.push({ rgb, label: item.label, test: item.test });
    if (i % 100 === 99 || i === listed.length - 1) options.onProgress?.({ phase: 'decode', loaded: i + 1, total: listed.length });
  }
  const channels = gray ? 1 : 3;
  const shape: [number, number, number] = [first!.height, first!.width, channels];
  const size = shape[0] * shape[1] * channels;
  if (options.inputShape) checkShape(options.inputShape, size, `each image of ${folder}`);
  const samples = decoded.map((item) => {
    const pixels = new Float32Array(size);
    if (gray) for (let p = 0; p < size; p++) pixels[p] = item.rgb[p * 3]! / 255;
    else for (let v = 0; v < size; v++) pixels[v] = item.rgb[v]! / 255;
    return { pixels, label: item.label, test: item.test };
  });
  const split = splitLayout ? { train: samples.filter((s) => !s.test), test: samples.filter((s) => s.test) } : splitPerClass(samples);
  return {
    inputShape: options.inputShape ?? shape,
    classNames,
    train: toSplit(split.train, size),
    test: toSplit(split.test, size),
    source: `image folder ${folder}`,
  };
}

/** Imports a folder of images per class into the cache; returns the new dataset's manifest. */
export async function importImageFolderDataset(cacheDir: string, folder: string, options: ImportOptions): Promise<ImportedManifest> {
  const data = await readImageFolderDataset(folder, options);
  return saveImportedDataset(cacheDir, options.name, data);
}
