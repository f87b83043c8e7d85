import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultCacheDir,
  generateSynthetic,
  getDatasetEntry,
  listDatasets,
  loadDataset,
  MNIST_BUNDLED_COUNTS,
  mnistDigitsFolder,
  registerDataset,
  unregisterDataset,
} from '../../main/engine/data/datasets/index.ts';
import type { Dataset, DatasetEntry } from '../../main/engine/data/types.ts';
import { WorkbenchError } from '../../main/engine/errors.ts';

async function rejection(promise: Promise<unknown>): Promise<WorkbenchError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(WorkbenchError);
  return error as WorkbenchError;
}

function bytesOf(array: Float32Array | Int32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

function countLabels(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

describe('dataset registry', () => {
  it('lists the built-in datasets with their metadata', () => {
    const ids = listDatasets().map((entry) => entry.id);
    expect(ids).toEqual(expect.arrayContaining(['mnist-bundled', 'synthetic', 'mnist', 'fashion-mnist', 'cifar10', 'cifar100']));
    expect(getDatasetEntry('mnist-bundled')).toMatchObject({ bundled: true, inputShape: [28, 28, 1], numClasses: 10 });
    expect(getDatasetEntry('synthetic')).toMatchObject({ bundled: true, inputShape: [8, 8, 1], numClasses: 10 });
    expect(getDatasetEntry('cifar100')).toMatchObject({ bundled: false, inputShape: [32, 32, 3], numClasses: 100 });
    expect(getDatasetEntry('fashion-mnist')).toMatchObject({ bundled: false, inputShape: [28, 28, 1], numClasses: 10 });
  });

  it('rejects an unknown id with UNKNOWN_ID naming it and the known ids', async () => {
    expect(() => getDatasetEntry('imagenet')).toThrow(WorkbenchError);
    const error = await rejection(loadDataset('imagenet'));
    expect(error.code).toBe('UNKNOWN_ID');
    expect(error.message).toContain('"imagenet"');
    expect(error.message).toContain('mnist-bundled');
    expect(error.details.known).toEqual(expect.arrayContaining(['synthetic', 'cifar10']));
  });

  it('refuses a second registration of an id unless replacing', () => {
    const entry = { ...getDatasetEntry('synthetic'), id: 'test-duplicate' };
    registerDataset(entry);
    try {
      expect(() => registerDataset(entry)).toThrow(/already registered/);
      expect(() => registerDataset(entry, { replace: true })).not.toThrow();
    } finally {
      unregisterDataset('test-duplicate');
    }
    expect(() => getDatasetEntry('test-duplicate')).toThrow(/Unknown dataset/);
  });

  it('fails loudly when a loader returns a dataset inconsistent with its entry', async () => {
    const synthetic = generateSynthetic();
    const broken: DatasetEntry = {
      ...getDatasetEntry('synthetic'),
      id: 'test-broken',
      load: async (): Promise<Dataset> => ({ ...synthetic, train: { ...synthetic.train, count: synthetic.train.count + 1 } }),
    };
    registerDataset(broken);
    try {
      const error = await rejection(loadDataset('test-broken'));
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toContain('test-broken');
      expect(error.message).toContain('train.x');
    } finally {
      unregisterDataset('test-broken');
    }
  });

  it('gives stray loader errors a code: IO with the path for file-system errors, else INTERNAL', async () => {
    const missingPath = path.join(os.tmpdir(), 'clwb-no-such-file-for-tests');
    registerDataset({ ...getDatasetEntry('synthetic'), id: 'test-io', load: async () => JSON.parse(readFileSync(missingPath, 'utf8')) as Dataset });
    registerDataset({ ...getDatasetEntry('synthetic'), id: 'test-bug', load: async () => { throw new TypeError('oops'); } });
    try {
      let error = await rejection(loadDataset('test-io'));
      expect(error.code).toBe('IO');
      expect(error.details.path).toBe(missingPath);
      expect(error.message).toContain('ENOENT');
      error = await rejection(loadDataset('test-bug'));
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toContain('oops');
    } finally {
      unregisterDataset('test-io');
      unregisterDataset('test-bug');
    }
  });

  it('reports a cancelled load as CANCELLED', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(loadDataset('synthetic', { signal: controller.signal }));
    expect(error.code).toBe('CANCELLED');
  });

  it('chooses the cache folder from CLWB_DATA_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ CLWB_DATA_DIR: '/data/sets', XDG_CACHE_HOME: '/xdg' })).toBe(path.resolve('/data/sets'));
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe(path.join(path.resolve('/xdg'), 'clwb', 'datasets'));
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'clwb', 'datasets'));
    expect(defaultCacheDir({ CLWB_DATA_DIR: '' })).toBe(path.join(os.homedir(), '.cache', 'clwb', 'datasets'));
  });
});

describe('mnist-bundled', () => {
  const trainCounts = MNIST_BUNDLED_COUNTS.map((count) => Math.floor((count * 4) / 5));
  const testCounts = MNIST_BUNDLED_COUNTS.map((count, digit) => count - trainCounts[digit]);

  it('splits each digit 80/20 in file order', async () => {
    const dataset = await loadDataset('mnist-bundled');
    expect(MNIST_BUNDLED_COUNTS).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(trainCounts).toEqual([800, 901, 792, 825, 784, 690, 811, 856, 755, 782]);
    expect(dataset.train.count).toBe(7996);
    expect(dataset.test.count).toBe(2004);
    expect(countLabels(dataset.train.y, 10)).toEqual(trainCounts);
    expect(countLabels(dataset.test.y, 10)).toEqual(testCounts);
    expect(dataset.train.x.length).toBe(7996 * 784);
    expect(dataset.test.x.length).toBe(2004 * 784);
    expect(dataset).toMatchObject({ id: 'mnist-bundled', inputShape: [28, 28, 1], numClasses: 10 });
    expect(dataset.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('orders samples by digit and keeps labels sorted', async () => {
    const { train, test } = await loadDataset('mnist-bundled');
    for (const split of [train, test]) {
      let sorted = true;
      for (let index = 1; index < split.count; index++) sorted &&= split.y[index] >= split.y[index - 1];
      expect(sorted).toBe(true);
    }
  });

  it('holds values in [0, 1] with real ink in every image', async () => {
    const { train, test } = await loadDataset('mnist-bundled');
    for (const split of [train, test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const value of split.x) {
        if (value < min) min = value;
        if (value > max) max = value;
      }
      expect(min).toBe(0);
      expect(max).toBeLessThanOrEqual(1);
      for (let sample = 0; sample < split.count; sample += 97) {
        const image = split.x.subarray(sample * 784, (sample + 1) * 784);
        expect(image.some((value) => value > 0.5)).toBe(true);
      }
    }
  });

  it('takes train from the start of each digit file and test from its end (disjoint by position)', async () => {
    const { train, test } = await loadDataset('mnist-bundled');
    const digit = 5;
    const pixels = (JSON.parse(readFileSync(path.join(mnistDigitsFolder(), `${digit}.json`), 'utf8')) as { data: number[] }).data;
    const fileImage = (index: number) => Float32Array.from(pixels.slice(index * 784, (index + 1) * 784));
    const trainStart = trainCounts.slice(0, digit).reduce((sum, count) => sum + count, 0);
    const testStart = testCounts.slice(0, digit).reduce((sum, count) => sum + count, 0);
    expect(train.x.subarray(trainStart * 784, (trainStart + 1) * 784)).toEqual(fileImage(0));
    const lastTrain = trainStart + trainCounts[digit] - 1;
    expect(train.x.subarray(lastTrain * 784, (lastTrain + 1) * 784)).toEqual(fileImage(trainCounts[digit] - 1));
    expect(test.x.subarray(testStart * 784, (testStart + 1) * 784)).toEqual(fileImage(trainCounts[digit]));
    const lastTest = testStart + testCounts[digit] - 1;
    expect(test.x.subarray(lastTest * 784, (lastTest + 1) * 784)).toEqual(fileImage(MNIST_BUNDLED_COUNTS[digit] - 1));
  });

  it('gives identical data on every load, cached in memory', async () => {
    const first = await loadDataset('mnist-bundled');
    const started = performance.now();
    const second = await loadDataset('mnist-bundled');
    expect(performance.now() - started).toBeLessThan(50);
    // Byte comparison: a deep equal over 6 million floats takes a minute.
    expect(bytesOf(second.train.x).equals(bytesOf(first.train.x))).toBe(true);
    expect(bytesOf(second.test.x).equals(bytesOf(first.test.x))).toBe(true);
    expect(bytesOf(second.train.y).equals(bytesOf(first.train.y))).toBe(true);
    // A caller replacing a field of its copy does not affect the next caller.
    second.classNames[0] = 'zero';
    second.train = { ...second.train, count: 0 };
    const third = await loadDataset('mnist-bundled');
    expect(third.classNames[0]).toBe('0');
    expect(third.train.count).toBe(7996);
  });
});

describe('synthetic', () => {
  it('has 100 train and 30 test samples per class of 8x8x1 values in [0, 1]', async () => {
    const dataset = await loadDataset('synthetic');
    expect(dataset).toMatchObject({ id: 'synthetic', inputShape: [8, 8, 1], numClasses: 10 });
    expect(dataset.train.count).toBe(1000);
    expect(dataset.test.count).toBe(300);
    expect(dataset.train.x.length).toBe(1000 * 64);
    expect(countLabels(dataset.train.y, 10)).toEqual(new Array(10).fill(100));
    expect(countLabels(dataset.test.y, 10)).toEqual(new Array(10).fill(30));
    expect(dataset.train.x.every((value) => value >= 0 && value <= 1)).toBe(true);
    expect(dataset.classNames).toHaveLength(10);
  });

  it('is deterministic: the same bytes on every call', async () => {
    const first = await loadDataset('synthetic');
    const second = await loadDataset('synthetic');
    expect(bytesOf(second.train.x).equals(bytesOf(first.train.x))).toBe(true);
    expect(bytesOf(second.test.x).equals(bytesOf(first.test.x))).toBe(true);
    expect(bytesOf(second.train.y).equals(bytesOf(first.train.y))).toBe(true);
    expect(bytesOf(generateSynthetic({ seed: 7 }).train.x).equals(bytesOf(first.train.x))).toBe(false);
  });

  it('has distinct, separable classes (nearest class mean > 90 % on test)', () => {
    const { train, test } = generateSynthetic();
    const means = Array.from({ length: 10 }, () => new Float64Array(64));
    for (let sample = 0; sample < train.count; sample++) {
      for (let pixel = 0; pixel < 64; pixel++) means[train.y[sample]][pixel] += train.x[sample * 64 + pixel] / 100;
    }
    let correct = 0;
    for (let sample = 0; sample < test.count; sample++) {
      let best = -1;
      let bestDistance = Infinity;
      for (let label = 0; label < 10; label++) {
        let distance = 0;
        for (let pixel = 0; pixel < 64; pixel++) distance += (test.x[sample * 64 + pixel] - means[label][pixel]) ** 2;
        if (distance < bestDistance) [best, bestDistance] = [label, distance];
      }
      if (best === test.y[sample]) correct++;
    }
    expect(correct / test.count).toBeGreaterThan(0.9);
    // Samples are noisy, not copies of their prototype.
    expect(train.x.subarray(0, 64)).not.toEqual(train.x.subarray(64, 128));
  });
});
