// Importing a researcher's own data (CSV, a folder of images per class) into the persistent imported-dataset format.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import {
  getDatasetEntry,
  importCsvDataset,
  importImageFolderDataset,
  listDatasets,
  loadDataset,
  readCsvDataset,
  readImageFolderDataset,
  registerImportedDatasets,
  unregisterDataset,
} from '../../main/engine/data/datasets/index.ts';
import { WorkbenchError } from '../../main/engine/errors.ts';
import { main } from '../../main/cli/index.ts';
import { validateRequest } from '../../main/workbench/api/contract.ts';
import { DatasetManager } from '../../main/workbench/api/datasets.ts';

const temporary: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clwb-import-'));
  temporary.push(dir);
  return dir;
}
const registered: string[] = [];
afterAll(async () => {
  for (const id of registered) unregisterDataset(id);
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<WorkbenchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    return error as WorkbenchError;
  }
  throw new Error('expected a rejection');
}

/** 4 classes x 10 samples of 2x2 pixels (0–255), class c's pixels all 60*c + i. */
function csvRows(label: (c: number) => string): string[] {
  const rows: string[] = [];
  for (let i = 0; i < 10; i++) for (let c = 0; c < 4; c++) rows.push([label(c), ...Array(4).fill(60 * c + i)].join(','));
  return rows;
}

async function writePng(file: string, width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number]): Promise<void> {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(rgba(x, y), (y * width + x) * 4);
  await writeFile(file, PNG.sync.write(png));
}

async function writeJpeg(file: string, width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number]): Promise<void> {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgba(x, y), (y * width + x) * 4);
  await writeFile(file, jpeg.encode({ width, height, data }, 95).data);
}

describe('CSV import', () => {
  it('reads a headerless file: integer labels, 0–255 scaled to [0, 1], square grayscale shape, last 20 % of each class to test', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'digits.csv');
    await writeFile(file, `${csvRows(String).join('\n')}\n`);
    const data = await readCsvDataset({ train: file });
    expect(data.inputShape).toEqual([2, 2, 1]);
    expect(data.classNames).toEqual(['0', '1', '2', '3']);
    expect(data.train.count).toBe(32);
    expect(data.test.count).toBe(8);
    // Class 3's last two rows (i = 8, 9) are its test samples, in file order.
    const testOf3 = [...data.test.y].flatMap((label, i) => (label === 3 ? [data.test.x[i * 4]] : []));
    expect(testOf3.map((v) => Math.round(v! * 255))).toEqual([188, 189]);
    expect(Math.max(...data.train.x)).toBeLessThanOrEqual(1);
    const again = await readCsvDataset({ train: file });
    expect([...again.test.y]).toEqual([...data.test.y]);
    expect([...again.train.x]).toEqual([...data.train.x]);
  });

  it('detects a header, takes class-name labels (sorted) and keeps 0–1 floats as they are; the shape can be given', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'animals.csv');
    const rows = ['label,p1,p2,p3,p4,p5,p6', 'dog,0,0.5,1,0,0,0', 'cat,0.25,0,0,0,0,1', 'dog,1,1,1,1,1,1', 'cat,0,0,0,0,0,0'];
    await writeFile(file, rows.join('\r\n'));
    const data = await readCsvDataset({ train: file }, { inputShape: [2, 3, 1] });
    expect(data.classNames).toEqual(['cat', 'dog']);
    expect(data.inputShape).toEqual([2, 3, 1]);
    expect(data.train.count).toBe(2);
    expect([...data.train.y]).toEqual([1, 0]);
    expect([...data.train.x.subarray(0, 6)]).toEqual([0, 0.5, 1, 0, 0, 0]);
    // Six pixels are no square: without a shape the row is [1, 6, 1].
    expect((await readCsvDataset({ train: file })).inputShape).toEqual([1, 6, 1]);
    await expect(readCsvDataset({ train: file }, { inputShape: [2, 2, 1] })).rejects.toMatchObject({ code: 'SPEC_INVALID' });
  });

  it('keeps train.csv and test.csv as given when the source is a folder', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'train.csv'), '0,0,0,0,0\n1,255,255,255,255\n');
    await writeFile(path.join(dir, 'test.csv'), '1,255,0,255,0\n');
    const cache = await tempDir();
    const manifest = await importCsvDataset(cache, dir, { name: 'Two files' });
    registered.push(manifest.id);
    expect(manifest.counts).toEqual({ train: 2, test: 1 });
  });

  it('names file, line and column for ragged rows, non-numeric values and too few columns', async () => {
    const dir = await tempDir();
    const ragged = path.join(dir, 'ragged.csv');
    await writeFile(ragged, '0,1,2,3\n1,4,5,6\n\n2,7,8\n');
    const error = await rejection(readCsvDataset({ train: ragged }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.message).toContain(`${ragged}:4`);
    expect(error.message).toMatch(/ragged row: 3 columns where the first row has 4/);
    expect(error.details).toMatchObject({ path: ragged, line: 4 });
    const text = path.join(dir, 'text.csv');
    await writeFile(text, '0,1,2,3\n1,4,x5,6\n');
    const nonNumeric = await rejection(readCsvDataset({ train: text }));
    expect(nonNumeric.message).toContain(`${text}:2:3`);
    expect(nonNumeric.details).toMatchObject({ line: 2, column: 3 });
    const narrow = path.join(dir, 'narrow.csv');
    await writeFile(narrow, '0\n1\n');
    expect((await rejection(readCsvDataset({ train: narrow }))).message).toMatch(/narrow\.csv:1: too few columns/);
  });
});

describe('image-folder import', () => {
  it('reads gray PNG and JPEG files per class (classes sorted, split per class)', async () => {
    const dir = await tempDir();
    for (const name of ['zebra', 'ant']) {
      await mkdir(path.join(dir, name));
      for (let i = 0; i < 5; i++) {
        const value = name === 'ant' ? 20 * i : 255 - 20 * i;
        const file = path.join(dir, name, `${i}.${i % 2 ? 'jpg' : 'png'}`);
        if (i % 2) await writeJpeg(file, 3, 2, () => [value, value, value, 255]);
        else await writePng(file, 3, 2, () => [value, value, value, 255]);
      }
    }
    await writeFile(path.join(dir, 'ant', 'notes.txt'), 'ignored');
    const data = await readImageFolderDataset(dir);
    expect(data.classNames).toEqual(['ant', 'zebra']);
    expect(data.inputShape).toEqual([2, 3, 1]);
    expect(data.train.count).toBe(8);
    expect(data.test.count).toBe(2);
    expect(data.train.x[0]).toBe(0);
    expect([...data.test.y]).toEqual([0, 1]);
  });

  it('is RGB (alpha dropped) when any image has colour, and honours a train/test layout', async () => {
    const dir = await tempDir();
    for (const split of ['train', 'test']) {
      for (const name of ['a', 'b']) {
        await mkdir(path.join(dir, split, name), { recursive: true });
        await writePng(path.join(dir, split, name, '1.png'), 2, 2, () => (name === 'a' ? [255, 0, 0, 128] : [10, 10, 10, 255]));
      }
    }
    const data = await readImageFolderDataset(dir);
    expect(data.inputShape).toEqual([2, 2, 3]);
    expect(data.train.count).toBe(2);
    expect(data.test.count).toBe(2);
    expect([...data.train.x.subarray(0, 3)]).toEqual([1, 0, 0]);
  });

  it('rejects images of different sizes, naming the offending file and both sizes', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'a'));
    await writePng(path.join(dir, 'a', '1.png'), 2, 2, () => [0, 0, 0, 255]);
    await writePng(path.join(dir, 'a', '2.png'), 3, 2, () => [0, 0, 0, 255]);
    const error = await rejection(readImageFolderDataset(dir));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.message).toContain(`${path.join(dir, 'a', '2.png')} is 3x2 but ${path.join(dir, 'a', '1.png')} is 2x2`);
  });
});

describe('imported datasets in the cache', () => {
  it('round-trips through dataset.json + train.bin/test.bin and registers under a user- id', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'digits.csv');
    await writeFile(file, csvRows(String).join('\n'));
    const cache = await tempDir();
    const original = await readCsvDataset({ train: file });
    const manifest = await importCsvDataset(cache, file, { name: 'My digits!' });
    registered.push(manifest.id);
    expect(manifest.id).toMatch(/^user-my-digits/);
    const stored = JSON.parse(await readFile(path.join(cache, 'imported', manifest.id, 'dataset.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ schemaVersion: 1, id: manifest.id, name: 'My digits!', inputShape: [2, 2, 1], numClasses: 4, counts: { train: 32, test: 8 } });
    const loaded = await loadDataset(manifest.id, { cacheDir: cache });
    expect([...loaded.train.x]).toEqual([...original.train.x]);
    expect([...loaded.test.y]).toEqual([...original.test.y]);
    expect(listDatasets().map((d) => d.id)).toContain(manifest.id);
    // A second import of the same name gets a fresh id.
    const second = await importCsvDataset(cache, file, { name: 'My digits!' });
    registered.push(second.id);
    expect(second.id).not.toBe(manifest.id);
    // Another process finds them in the cache.
    unregisterDataset(manifest.id);
    expect(registerImportedDatasets(cache)).toEqual(expect.arrayContaining([manifest.id, second.id]));
    const manager = new DatasetManager(cache);
    expect(manager.info(manifest.id)).toMatchObject({ available: true, imported: true, importable: false });
  });

  it('a truncated train.bin is DATASET_CORRUPT naming the file', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'c1'));
    await mkdir(path.join(dir, 'c2'));
    await writePng(path.join(dir, 'c1', '1.png'), 2, 2, () => [0, 0, 0, 255]);
    await writePng(path.join(dir, 'c2', '1.png'), 2, 2, () => [255, 255, 255, 255]);
    const cache = await tempDir();
    const manifest = await importImageFolderDataset(cache, dir, { name: 'Truncated' });
    registered.push(manifest.id);
    const bin = path.join(cache, 'imported', manifest.id, 'train.bin');
    await truncate(bin, 10);
    const error = await rejection(loadDataset(manifest.id, { cacheDir: cache }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.message).toContain(bin);
    expect(error.details.path).toBe(bin);
  });

  it('the dataset manager imports through datasets.import requests', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'x.csv');
    await writeFile(file, csvRows((c) => `class${c}`).join('\n'));
    const manager = new DatasetManager(await tempDir());
    const info = await manager.importRequest({ format: 'csv', source: file, name: 'Via API' }, () => {});
    registered.push(info.id);
    expect(info).toMatchObject({ name: 'Via API', numClasses: 4, inputShape: [2, 2, 1], available: true, imported: true });
    expect(manager.list().map((d) => d.id)).toContain(info.id);
    await expect(manager.importRequest({ format: 'csv', source: 'relative.csv', name: 'x' }, () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(manager.importRequest({ format: 'csv', source: file }, () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(manager.importRequest({ format: 'csv', source: file, name: 'x', id: 'mnist' }, () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('datasets.import requests: the old { id, folder } and the new { format, source, name, inputShape? } shapes', () => {
    expect(validateRequest('datasets.import', { id: 'mnist', folder: '/data/mnist' }).ok).toBe(true);
    expect(validateRequest('datasets.import', { format: 'image-folder', source: '/data/photos', name: 'Photos', inputShape: [32, 32, 3] }).ok).toBe(true);
    expect(validateRequest('datasets.import', { format: 'tsv', source: '/a', name: 'x' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(validateRequest('datasets.import', { format: 'csv', source: '/a', name: 'x', inputShape: [2, 2] })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});

describe('clwb datasets import + clwb run', () => {
  it('imports a CSV file and runs an experiment on it', async () => {
    let stdout = '';
    let stderr = '';
    const stream = (sink: (s: string) => void) => ({ write: (s: string) => (sink(s), true), isTTY: false }) as unknown as NodeJS.WriteStream;
    const io = { stdout: stream((s) => (stdout += s)), stderr: stream((s) => (stderr += s)) };
    const dir = await tempDir();
    const cache = await tempDir();
    const file = path.join(dir, 'tiny.csv');
    await writeFile(file, csvRows(String).join('\n'));
    expect(await main(['datasets', 'import', file, '--format', 'csv', '--name', 'CLI tiny', '--shape', '2x2x1', '--data-dir', cache], io)).toBe(0);
    const id = stdout.trim();
    registered.push(id);
    expect(id).toMatch(/^user-cli-tiny/);
    expect(getDatasetEntry(id).numClasses).toBe(4);
    stdout = '';
    // Forget it, as a fresh process would: `run --data-dir` must find it in the cache.
    unregisterDataset(id);
    const experiment = {
      schemaVersion: 1,
      name: 'Imported run',
      dataset: { id },
      scenario: { type: 'task-incremental', experiences: 2, classesPerExperience: 2 },
      model: { type: 'mlp', hidden: [8] },
      training: { epochs: 1, batchSize: 8, optimizer: { type: 'adam', lr: 0.01 } },
      strategies: [{ id: 'naive' }],
      seeds: [0],
    };
    const spec = path.join(dir, 'experiment.json');
    await writeFile(spec, JSON.stringify(experiment));
    const out = path.join(dir, 'out');
    const code = await main(['run', spec, '--out', out, '--backend', 'cpu', '--json', '--data-dir', cache], io);
    expect(stderr).not.toMatch(/FAILED/);
    expect(code).toBe(0);
    const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as { runs: unknown[] };
    expect(results.runs).toHaveLength(1);
    expect((await main(['datasets', 'import', file, '--format', 'tsv', '--name', 'x'], io))).toBe(2);
  }, 60_000);
});
