/**
 * IDX loaders for MNIST and Fashion-MNIST (LeCun's IDX format: a magic number
 * 0x0000 <type> <rank>, big-endian 32-bit dimensions, then the data). Each
 * file may be plain or gzipped; gzip is detected by its magic bytes, not by
 * the name, since browsers and archivers often unpack and keep the name.
 */
import path from 'node:path';
import type { Dataset, DatasetEntry, DatasetLoadContext, DataSplit } from '../types.ts';
import { DATASET_SOURCES, type DatasetSource } from './download.ts';
import { resolveDatasetFiles, type FileDatasetLayout, type Located } from './file-dataset.ts';
import { corruptFile, findFile, readMaybeGzip, throwIfCancelled, totalSize } from './files.ts';

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/**
 * Parses an IDX file of unsigned bytes with `rank` dimensions. Throws
 * DATASET_CORRUPT naming `filePath` on a wrong magic number, a wrong rank, or
 * a length that does not match the dimensions.
 */
export function parseIdx(bytes: Uint8Array, filePath: string, rank: number): IdxArray {
  if (bytes.length < 4) throw corruptFile(filePath, `expected an IDX header, found only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const expectedMagic = (UNSIGNED_BYTE << 8) | rank;
  if (magic !== expectedMagic) {
    throw corruptFile(filePath, `wrong magic number 0x${hex(magic)}, expected 0x${hex(expectedMagic)} (an IDX file of unsigned bytes with ${rank} dimensions)`);
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw corruptFile(filePath, `expected at least ${headerLength} bytes of header, found ${bytes.length}`);
  const dims = Array.from({ length: rank }, (_, index) => view.getUint32(4 + 4 * index));
  const expectedLength = headerLength + dims.reduce((product, dim) => product * dim, 1);
  if (bytes.length !== expectedLength) {
    const what = bytes.length < expectedLength ? 'truncated' : 'trailing data';
    throw corruptFile(filePath, `expected ${expectedLength} bytes for dimensions ${dims.join('x')}, found ${bytes.length} (${what})`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/** The four IDX files of a MNIST-style dataset, as found on disk. */
export interface IdxFiles {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

const IDX_NAMES: Record<keyof IdxFiles, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/**
 * Finds the four IDX files in `folder`, each as `<name>` or `<name>.gz`, also
 * accepting the `train-images.idx3-ubyte` spelling some unpackers produce.
 */
export function locateIdxFiles(folder: string): Located<IdxFiles> {
  const found: Partial<IdxFiles> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(IDX_NAMES) as [keyof IdxFiles, string][]) {
    const dotted = name.replace('-idx', '.idx');
    const file = findFile(folder, [name, `${name}.gz`, dotted, `${dotted}.gz`]);
    if (file) found[key] = file;
    else missing.push(`${name}[.gz]`);
  }
  return missing.length > 0 ? { missing } : { files: found as IdxFiles };
}

/**
 * Reads one image/label file pair into a split. Images must be
 * `count x rows x cols`, labels `count` values below `numClasses`.
 */
export function idxSplit(images: IdxArray, imagesPath: string, labels: IdxArray, labelsPath: string, shape: { rows: number; cols: number; numClasses: number }): DataSplit {
  const [count, rows, cols] = images.dims;
  if (rows !== shape.rows || cols !== shape.cols) {
    throw corruptFile(imagesPath, `images are ${rows}x${cols}, expected ${shape.rows}x${shape.cols}`);
  }
  if (labels.dims[0] !== count) {
    throw corruptFile(labelsPath, `holds ${labels.dims[0]} labels but ${imagesPath} holds ${count} images`);
  }
  const y = new Int32Array(count);
  for (let index = 0; index < count; index++) {
    const label = labels.data[index];
    if (label >= shape.numClasses) throw corruptFile(labelsPath, `label ${label} at index ${index} is not below ${shape.numClasses}`);
    y[index] = label;
  }
  const x = new Float32Array(images.data.length);
  for (let index = 0; index < x.length; index++) x[index] = images.data[index] / 255;
  return { x, y, count };
}

/** What distinguishes one IDX dataset from another. */
export interface IdxDatasetOptions {
  id: string;
  name: string;
  description: string;
  classNames: string[];
  source: DatasetSource;
}

/**
 * A registry entry for a 28x28 grey-scale IDX dataset: files from
 * `context.path`, else `<cacheDir>/<id>/`, downloaded there when allowed.
 */
export function createIdxDatasetEntry(options: IdxDatasetOptions): DatasetEntry {
  const layout: FileDatasetLayout<IdxFiles> = {
    id: options.id,
    name: options.name,
    source: options.source,
    locate: locateIdxFiles,
    layoutHint: `Keep the file names; each may stay gzipped (.gz) or be unpacked.`,
  };
  return {
    id: options.id,
    name: options.name,
    description: options.description,
    inputShape: [28, 28, 1],
    numClasses: options.classNames.length,
    bundled: false,
    async load(context: DatasetLoadContext): Promise<Dataset> {
      const { files } = await resolveDatasetFiles(layout, context);
      const order = [files.trainImages, files.trainLabels, files.testImages, files.testLabels];
      const total = totalSize(order);
      let loaded = 0;
      const parsed: IdxArray[] = [];
      for (const [index, filePath] of order.entries()) {
        throwIfCancelled(context.signal);
        // Even positions are image files (rank 3), odd ones label files (rank 1).
        parsed.push(parseIdx(await readMaybeGzip(filePath), filePath, index % 2 === 0 ? 3 : 1));
        loaded += totalSize([filePath]);
        context.onProgress?.({ phase: 'read', loaded, total, message: path.basename(filePath) });
      }
      const shape = { rows: 28, cols: 28, numClasses: options.classNames.length };
      const train = idxSplit(parsed[0], files.trainImages, parsed[1], files.trainLabels, shape);
      const test = idxSplit(parsed[2], files.testImages, parsed[3], files.testLabels, shape);
      return {
        id: options.id,
        name: options.name,
        inputShape: [28, 28, 1],
        numClasses: options.classNames.length,
        classNames: [...options.classNames],
        train,
        test,
        source: order.join(', '),
      };
    },
  };
}

/** Fashion-MNIST's ten classes, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The full MNIST (60,000 train, 10,000 test) from IDX files. */
export const mnistEntry: DatasetEntry = createIdxDatasetEntry({
  id: 'mnist',
  name: 'MNIST',
  description: 'Handwritten digits, 60,000 train and 10,000 test, 28x28 grey-scale (IDX files, downloaded or placed by hand).',
  classNames: Array.from({ length: 10 }, (_, digit) => String(digit)),
  source: DATASET_SOURCES.mnist,
});

/** Fashion-MNIST (60,000 train, 10,000 test) from IDX files. */
export const fashionMnistEntry: DatasetEntry = createIdxDatasetEntry({
  id: 'fashion-mnist',
  name: 'Fashion-MNIST',
  description: 'Zalando clothing images in 10 classes, 60,000 train and 10,000 test, 28x28 grey-scale (IDX files).',
  classNames: [...FASHION_MNIST_CLASSES],
  source: DATASET_SOURCES['fashion-mnist'],
});
