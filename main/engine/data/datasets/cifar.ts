/**
 * CIFAR-10 and CIFAR-100 from their "binary version" files. Each record is the
 * label byte(s) then 3072 pixel bytes in CHW order (1024 red, 1024 green, 1024
 * blue, rows top to bottom); samples are converted to HWC floats in [0, 1] to
 * match the engine's NHWC layout.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset, DatasetEntry, DatasetLoadContext, DataSplit } from '../types.ts';
import { DATASET_SOURCES, type DatasetSource } from './download.ts';
import { resolveDatasetFiles, type FileDatasetLayout, type Located } from './file-dataset.ts';
import { corruptFile, findFile, throwIfCancelled, totalSize } from './files.ts';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXELS = 3 * PLANE;

/** The label layout of one CIFAR variant. */
export interface CifarFormat {
  /** Label bytes before the pixels: 1 for CIFAR-10, 2 (coarse, fine) for CIFAR-100. */
  labelBytes: number;
  /** Which label byte is the class used (CIFAR-100: 1, the fine label). */
  labelIndex: number;
  /** Upper bound of each label byte, for validation (CIFAR-100: 20 coarse, 100 fine). */
  labelLimits: number[];
}

/**
 * Decodes concatenated CIFAR records into `split`, starting at sample
 * `offset`. Throws DATASET_CORRUPT naming `filePath` when the length is not a
 * whole number of records or a label is out of range. Returns the number of
 * records read.
 */
export function decodeCifarRecords(bytes: Uint8Array, filePath: string, format: CifarFormat, split: DataSplit, offset: number): number {
  const recordLength = format.labelBytes + PIXELS;
  if (bytes.length === 0 || bytes.length % recordLength !== 0) {
    const whole = Math.floor(bytes.length / recordLength);
    throw corruptFile(
      filePath,
      `expected a whole number of ${recordLength}-byte records (${format.labelBytes} label byte${format.labelBytes > 1 ? 's' : ''} + ${PIXELS} pixel bytes), found ${bytes.length} bytes` +
        ` (${whole} records and ${bytes.length - whole * recordLength} bytes over: truncated?)`,
    );
  }
  const records = bytes.length / recordLength;
  for (let record = 0; record < records; record++) {
    const start = record * recordLength;
    for (let index = 0; index < format.labelBytes; index++) {
      if (bytes[start + index] >= format.labelLimits[index]) {
        throw corruptFile(filePath, `record ${record}: label byte ${index} is ${bytes[start + index]}, expected below ${format.labelLimits[index]}`);
      }
    }
    const sample = offset + record;
    split.y[sample] = bytes[start + format.labelIndex];
    const pixels = start + format.labelBytes;
    const out = sample * PIXELS;
    for (let channel = 0; channel < 3; channel++) {
      const plane = pixels + channel * PLANE;
      // CHW -> HWC: pixel p of channel c goes to p * 3 + c.
      for (let position = 0; position < PLANE; position++) {
        split.x[out + position * 3 + channel] = bytes[plane + position] / 255;
      }
    }
  }
  return records;
}

/** The files of one CIFAR variant as found on disk. */
export interface CifarFiles {
  train: string[];
  test: string[];
  /** The class-names text file, when present. */
  names?: string;
}

/** How one CIFAR variant is laid out and labelled. */
export interface CifarDatasetOptions {
  id: string;
  name: string;
  description: string;
  /** The folder the official archive unpacks to (also searched). */
  subfolder: string;
  trainFiles: string[];
  testFiles: string[];
  namesFile: string;
  classNames: readonly string[];
  format: CifarFormat;
  source: DatasetSource;
}

/** Looks for the files in `folder` and in its `subfolder` (the archive's layout). */
export function locateCifarFiles(folder: string, options: Pick<CifarDatasetOptions, 'subfolder' | 'trainFiles' | 'testFiles' | 'namesFile'>): Located<CifarFiles> {
  const candidates = [path.join(folder, options.subfolder), folder];
  let best: { missing: string[] } | undefined;
  for (const candidate of candidates) {
    const find = (name: string) => findFile(candidate, [name]);
    const all = [...options.trainFiles, ...options.testFiles];
    const missing = all.filter((name) => !find(name));
    if (missing.length === 0) {
      return {
        files: {
          train: options.trainFiles.map((name) => find(name) as string),
          test: options.testFiles.map((name) => find(name) as string),
          names: find(options.namesFile),
        },
      };
    }
    if (!best || missing.length < best.missing.length) best = { missing };
  }
  return best as { missing: string[] };
}

/** Class names from the dataset's own text file when it lists the right number, else the built-in list. */
function readClassNames(namesFile: string | undefined, fallback: readonly string[]): string[] {
  if (namesFile) {
    const names = readFileSync(namesFile, 'utf8').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
    if (names.length === fallback.length) return names;
  }
  return [...fallback];
}

/** A registry entry for a CIFAR variant in its binary format. */
export function createCifarDatasetEntry(options: CifarDatasetOptions): DatasetEntry {
  const numClasses = options.classNames.length;
  const layout: FileDatasetLayout<CifarFiles> = {
    id: options.id,
    name: options.name,
    source: options.source,
    locate: (folder) => locateCifarFiles(folder, options),
    layoutHint: `Unpack the archive there (the files may stay in its ${options.subfolder}${path.sep} folder), or leave the .tar.gz itself in the cache folder and it is unpacked on the next load.`,
  };
  return {
    id: options.id,
    name: options.name,
    description: options.description,
    inputShape: [SIDE, SIDE, 3],
    numClasses,
    bundled: false,
    async load(context: DatasetLoadContext): Promise<Dataset> {
      const { files } = await resolveDatasetFiles(layout, context);
      const recordLength = options.format.labelBytes + PIXELS;
      const total = totalSize([...files.train, ...files.test]);
      let loaded = 0;
      const readSplit = async (paths: string[]): Promise<DataSplit> => {
        // Sized from the file lengths so the floats are allocated once; a bad length is caught per file in decode.
        const count = paths.reduce((sum, filePath) => sum + Math.floor(totalSize([filePath]) / recordLength), 0);
        const split: DataSplit = { x: new Float32Array(count * PIXELS), y: new Int32Array(count), count };
        let offset = 0;
        for (const filePath of paths) {
          throwIfCancelled(context.signal);
          const bytes = await readFile(filePath);
          offset += decodeCifarRecords(bytes, filePath, options.format, split, offset);
          loaded += bytes.length;
          context.onProgress?.({ phase: 'read', loaded, total, message: path.basename(filePath) });
        }
        return split;
      };
      const train = await readSplit(files.train);
      const test = await readSplit(files.test);
      return {
        id: options.id,
        name: options.name,
        inputShape: [SIDE, SIDE, 3],
        numClasses,
        classNames: readClassNames(files.names, options.classNames),
        train,
        test,
        source: [...files.train, ...files.test].join(', '),
      };
    },
  };
}

/** CIFAR-10's classes, in label order. */
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** CIFAR-100's fine classes, in label order (alphabetical, as in fine_label_names.txt). */
export const CIFAR100_CLASSES: readonly string[] = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
];

/** CIFAR-10 (50,000 train, 10,000 test, 32x32 RGB). */
export const cifar10Entry: DatasetEntry = createCifarDatasetEntry({
  id: 'cifar10',
  name: 'CIFAR-10',
  description: '32x32 colour images in 10 classes, 50,000 train and 10,000 test (binary version).',
  subfolder: 'cifar-10-batches-bin',
  trainFiles: [1, 2, 3, 4, 5].map((batch) => `data_batch_${batch}.bin`),
  testFiles: ['test_batch.bin'],
  namesFile: 'batches.meta.txt',
  classNames: CIFAR10_CLASSES,
  format: { labelBytes: 1, labelIndex: 0, labelLimits: [10] },
  source: DATASET_SOURCES.cifar10,
});

/** CIFAR-100 with its 100 fine labels (50,000 train, 10,000 test, 32x32 RGB). */
export const cifar100Entry: DatasetEntry = createCifarDatasetEntry({
  id: 'cifar100',
  name: 'CIFAR-100',
  description: '32x32 colour images in 100 fine classes (20 coarse ones unused), 50,000 train and 10,000 test (binary version).',
  subfolder: 'cifar-100-binary',
  trainFiles: ['train.bin'],
  testFiles: ['test.bin'],
  namesFile: 'fine_label_names.txt',
  classNames: CIFAR100_CLASSES,
  format: { labelBytes: 2, labelIndex: 1, labelLimits: [20, 100] },
  source: DATASET_SOURCES.cifar100,
});
