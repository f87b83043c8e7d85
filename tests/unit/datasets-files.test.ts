import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CIFAR100_CLASSES, extractTarGz, FASHION_MNIST_CLASSES, loadDataset, parseTar } from '../../main/engine/data/datasets/index.ts';
import { WorkbenchError } from '../../main/engine/errors.ts';
import { cifarPixel, cifarRecords, idxBytes, idxImages, idxLabels, tarBytes, tempFolder } from '../fixtures/datasets/builders.ts';

async function rejection(promise: Promise<unknown>): Promise<WorkbenchError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(WorkbenchError);
  return error as WorkbenchError;
}

let temp: ReturnType<typeof tempFolder>;
beforeEach(() => {
  temp = tempFolder();
});
afterEach(() => temp.remove());

const TRAIN_LABELS = [3, 1, 4, 1, 5];
const TEST_LABELS = [9, 2, 6];

/** Writes a small MNIST-style set (5 train, 3 test images) into `folder`. */
function writeIdxSet(folder: string, options: { gzip?: boolean; dotted?: boolean } = {}): void {
  mkdirSync(folder, { recursive: true });
  const files: [string, Buffer][] = [
    ['train-images-idx3-ubyte', idxImages(5)],
    ['train-labels-idx1-ubyte', idxLabels(TRAIN_LABELS)],
    ['t10k-images-idx3-ubyte', idxImages(3)],
    ['t10k-labels-idx1-ubyte', idxLabels(TEST_LABELS)],
  ];
  for (const [name, bytes] of files) {
    const fileName = (options.dotted ? name.replace('-idx', '.idx') : name) + (options.gzip ? '.gz' : '');
    writeFileSync(path.join(folder, fileName), options.gzip ? gzipSync(bytes) : bytes);
  }
}

describe('IDX datasets (mnist, fashion-mnist)', () => {
  it('loads plain IDX files from a folder the user chose', async () => {
    writeIdxSet(temp.folder);
    const dataset = await loadDataset('mnist', { cacheDir: path.join(temp.folder, 'unused'), path: temp.folder });
    expect(dataset).toMatchObject({ id: 'mnist', inputShape: [28, 28, 1], numClasses: 10 });
    expect(dataset.train.count).toBe(5);
    expect(dataset.test.count).toBe(3);
    expect([...dataset.train.y]).toEqual(TRAIN_LABELS);
    expect([...dataset.test.y]).toEqual(TEST_LABELS);
    // Pixel p of image i is (i * 7 + p) % 256, scaled to [0, 1].
    expect(dataset.train.x[2 * 784 + 10]).toBeCloseTo((2 * 7 + 10) / 255, 6);
    expect(dataset.test.x[1 * 784 + 300]).toBeCloseTo(((7 + 300) % 256) / 255, 6);
    expect(dataset.train.x.every((value) => value >= 0 && value <= 1)).toBe(true);
    expect(dataset.source).toContain(path.join(temp.folder, 'train-images-idx3-ubyte'));
  });

  it('loads gzipped files from <cacheDir>/<id>/ and reports read progress', async () => {
    writeIdxSet(path.join(temp.folder, 'fashion-mnist'), { gzip: true });
    const progress: { loaded: number; total?: number }[] = [];
    const dataset = await loadDataset('fashion-mnist', { cacheDir: temp.folder, onProgress: (event) => progress.push(event) });
    expect(dataset.classNames).toEqual([...FASHION_MNIST_CLASSES]);
    expect(dataset.classNames[0]).toBe('T-shirt/top');
    expect([...dataset.test.y]).toEqual(TEST_LABELS);
    expect(dataset.train.x[784 + 5]).toBeCloseTo(12 / 255, 6);
    expect(progress.length).toBe(4);
    expect(progress.at(-1)?.loaded).toBe(progress.at(-1)?.total);
  });

  it('accepts the train-images.idx3-ubyte spelling and gzip content under a plain name', async () => {
    writeIdxSet(temp.folder, { dotted: true });
    // A gzipped file without the .gz suffix is detected by its magic bytes.
    writeFileSync(path.join(temp.folder, 'train-labels.idx1-ubyte'), gzipSync(idxLabels(TRAIN_LABELS)));
    const dataset = await loadDataset('mnist', { path: temp.folder });
    expect([...dataset.train.y]).toEqual(TRAIN_LABELS);
  });

  it('reports a truncated file as DATASET_CORRUPT naming the path and the sizes', async () => {
    writeIdxSet(temp.folder);
    const imagesPath = path.join(temp.folder, 'train-images-idx3-ubyte');
    writeFileSync(imagesPath, readFileSync(imagesPath).subarray(0, 1200));
    const error = await rejection(loadDataset('mnist', { path: temp.folder }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.details.path).toBe(imagesPath);
    expect(error.message).toContain(imagesPath);
    expect(error.message).toContain(`expected ${16 + 5 * 784} bytes`);
    expect(error.message).toContain('found 1200');
  });

  it('reports a truncated gzip file as DATASET_CORRUPT', async () => {
    writeIdxSet(temp.folder, { gzip: true });
    const labelsPath = path.join(temp.folder, 't10k-labels-idx1-ubyte.gz');
    const bytes = readFileSync(labelsPath);
    writeFileSync(labelsPath, bytes.subarray(0, bytes.length - 6));
    const error = await rejection(loadDataset('mnist', { path: temp.folder }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.details.path).toBe(labelsPath);
  });

  it('reports a wrong magic number as DATASET_CORRUPT', async () => {
    writeIdxSet(temp.folder);
    const labelsPath = path.join(temp.folder, 'train-labels-idx1-ubyte');
    // An image file where a label file belongs: rank 3 instead of 1.
    writeFileSync(labelsPath, idxImages(5));
    const error = await rejection(loadDataset('mnist', { path: temp.folder }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.message).toContain(labelsPath);
    expect(error.message).toMatch(/magic number 0x00000803, expected 0x00000801/);
  });

  it('rejects mismatched image and label counts, wrong image sizes and out-of-range labels', async () => {
    writeIdxSet(temp.folder);
    const labelsPath = path.join(temp.folder, 't10k-labels-idx1-ubyte');
    writeFileSync(labelsPath, idxLabels([1, 2]));
    let error = await rejection(loadDataset('mnist', { path: temp.folder }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.message).toMatch(/holds 2 labels but .* holds 3 images/);

    writeFileSync(labelsPath, idxLabels([1, 2, 10]));
    error = await rejection(loadDataset('mnist', { path: temp.folder }));
    expect(error.message).toContain('label 10 at index 2');

    writeIdxSet(temp.folder);
    writeFileSync(path.join(temp.folder, 't10k-images-idx3-ubyte'), idxBytes([3, 32, 32], new Uint8Array(3 * 1024)));
    error = await rejection(loadDataset('mnist', { path: temp.folder }));
    expect(error.message).toContain('images are 32x32, expected 28x28');
  });

  it('reports missing files as DATASET_MISSING saying which files go in which folder', async () => {
    mkdirSync(path.join(temp.folder, 'mnist'));
    writeFileSync(path.join(temp.folder, 'mnist', 'train-images-idx3-ubyte'), idxImages(1));
    const error = await rejection(loadDataset('mnist', { cacheDir: temp.folder, allowDownload: false }));
    const folder = path.join(temp.folder, 'mnist');
    expect(error.code).toBe('DATASET_MISSING');
    expect(error.details.path).toBe(folder);
    expect(error.details.missing).toEqual(['train-labels-idx1-ubyte[.gz]', 't10k-images-idx3-ubyte[.gz]', 't10k-labels-idx1-ubyte[.gz]']);
    expect(error.message).toContain(`put them in ${folder}`);
    expect(error.message).toContain('https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz');
    expect(error.message).toContain('--data-dir');
    expect(error.message).toContain('CLWB_DATA_DIR');
    expect(error.message).toContain('Downloading was not allowed');
  });

  it('never downloads into a folder the user chose', async () => {
    const error = await rejection(loadDataset('fashion-mnist', { path: temp.folder, allowDownload: true }));
    expect(error.code).toBe('DATASET_MISSING');
    expect(error.message).toContain('fashion-mnist.s3-website.eu-central-1.amazonaws.com');
    expect(readdirSync(temp.folder)).toEqual([]);
  });
});

describe('CIFAR datasets', () => {
  const HWC = (sample: number, row: number, column: number, channel: number) => sample * 3072 + (row * 32 + column) * 3 + channel;

  function writeCifar10(folder: string): void {
    mkdirSync(folder, { recursive: true });
    let record = 0;
    for (let batch = 1; batch <= 5; batch++) {
      writeFileSync(path.join(folder, `data_batch_${batch}.bin`), cifarRecords([[batch % 10], [(batch + 5) % 10]], record));
      record += 2;
    }
    writeFileSync(path.join(folder, 'test_batch.bin'), cifarRecords([[7], [0], [9]], 100));
  }

  it('loads CIFAR-10 batches from the archive subfolder, converting CHW to HWC', async () => {
    writeCifar10(path.join(temp.folder, 'cifar10', 'cifar-10-batches-bin'));
    const dataset = await loadDataset('cifar10', { cacheDir: temp.folder });
    expect(dataset).toMatchObject({ id: 'cifar10', inputShape: [32, 32, 3], numClasses: 10 });
    expect(dataset.train.count).toBe(10);
    expect(dataset.test.count).toBe(3);
    expect([...dataset.train.y]).toEqual([1, 6, 2, 7, 3, 8, 4, 9, 5, 0]);
    expect([...dataset.test.y]).toEqual([7, 0, 9]);
    expect(dataset.classNames[0]).toBe('airplane');
    // Sample 3 (batch 2, second record), row 5, column 17, green.
    expect(dataset.train.x[HWC(3, 5, 17, 1)]).toBeCloseTo(cifarPixel(3, 1, 5, 17) / 255, 6);
    expect(dataset.train.x[HWC(3, 31, 0, 2)]).toBeCloseTo(cifarPixel(3, 2, 31, 0) / 255, 6);
    expect(dataset.test.x[HWC(2, 0, 31, 0)]).toBeCloseTo(cifarPixel(102, 0, 0, 31) / 255, 6);
    expect(dataset.train.x.length).toBe(10 * 3072);
  });

  it('reads class names from batches.meta.txt when present', async () => {
    writeCifar10(temp.folder);
    const names = Array.from({ length: 10 }, (_, index) => `thing ${index}`);
    writeFileSync(path.join(temp.folder, 'batches.meta.txt'), names.join('\n') + '\n\n');
    const dataset = await loadDataset('cifar10', { path: temp.folder });
    expect(dataset.classNames).toEqual(names);
  });

  it('loads CIFAR-100 with the fine label', async () => {
    const folder = path.join(temp.folder, 'cifar-100-binary');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'train.bin'), cifarRecords([[4, 30], [19, 99], [0, 1]]));
    writeFileSync(path.join(folder, 'test.bin'), cifarRecords([[11, 42]], 50));
    const dataset = await loadDataset('cifar100', { path: temp.folder });
    expect(dataset).toMatchObject({ id: 'cifar100', inputShape: [32, 32, 3], numClasses: 100 });
    expect([...dataset.train.y]).toEqual([30, 99, 1]);
    expect([...dataset.test.y]).toEqual([42]);
    expect(dataset.classNames).toEqual([...CIFAR100_CLASSES]);
    expect(dataset.classNames[99]).toBe('worm');
    expect(dataset.train.x[HWC(1, 10, 20, 0)]).toBeCloseTo(cifarPixel(1, 0, 10, 20) / 255, 6);
    expect(dataset.test.x[HWC(0, 31, 31, 2)]).toBeCloseTo(cifarPixel(50, 2, 31, 31) / 255, 6);
  });

  it('reports a truncated batch as DATASET_CORRUPT naming the path', async () => {
    writeCifar10(temp.folder);
    const batchPath = path.join(temp.folder, 'data_batch_3.bin');
    writeFileSync(batchPath, readFileSync(batchPath).subarray(0, 3073 + 1000));
    const error = await rejection(loadDataset('cifar10', { path: temp.folder }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.details.path).toBe(batchPath);
    expect(error.message).toContain('3073-byte records');
    expect(error.message).toContain('found 4073 bytes');
  });

  it('rejects out-of-range labels and CIFAR-10 files read as CIFAR-100', async () => {
    mkdirSync(path.join(temp.folder, 'a'));
    writeFileSync(path.join(temp.folder, 'a', 'train.bin'), cifarRecords([[20, 5]]));
    writeFileSync(path.join(temp.folder, 'a', 'test.bin'), cifarRecords([[1, 5]]));
    let error = await rejection(loadDataset('cifar100', { path: path.join(temp.folder, 'a') }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.message).toContain('label byte 0 is 20, expected below 20');

    mkdirSync(path.join(temp.folder, 'b'));
    writeFileSync(path.join(temp.folder, 'b', 'train.bin'), cifarRecords([[1], [2]]));
    writeFileSync(path.join(temp.folder, 'b', 'test.bin'), cifarRecords([[1, 5]]));
    error = await rejection(loadDataset('cifar100', { path: path.join(temp.folder, 'b') }));
    expect(error.code).toBe('DATASET_CORRUPT');
    expect(error.message).toContain('3074-byte records');
  });

  it('unpacks an archive left in the cache folder, then loads it', async () => {
    const folder = path.join(temp.folder, 'cifar100');
    mkdirSync(folder);
    const archive = tarBytes([
      { name: 'cifar-100-binary/', directory: true },
      { name: 'cifar-100-binary/train.bin', content: cifarRecords([[1, 2], [3, 4]]) },
      { name: 'cifar-100-binary/test.bin', content: cifarRecords([[5, 6]]) },
      { name: 'cifar-100-binary/fine_label_names.txt', content: CIFAR100_CLASSES.map((name) => name.toUpperCase()).join('\n') },
    ]);
    writeFileSync(path.join(folder, 'cifar-100-binary.tar.gz'), gzipSync(archive));
    const dataset = await loadDataset('cifar100', { cacheDir: temp.folder });
    expect([...dataset.train.y]).toEqual([2, 4]);
    expect(dataset.classNames[0]).toBe('APPLE');
    expect(existsSync(path.join(folder, 'cifar-100-binary', 'test.bin'))).toBe(true);
    expect(readdirSync(folder).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('reports missing CIFAR files with the archive URL and folder', async () => {
    const error = await rejection(loadDataset('cifar10', { cacheDir: temp.folder }));
    expect(error.code).toBe('DATASET_MISSING');
    expect(error.details.path).toBe(path.join(temp.folder, 'cifar10'));
    expect(error.message).toContain('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
    expect(error.message).toContain('data_batch_1.bin');
  });
});

describe('tar extraction', () => {
  it('extracts regular files and folders from a .tar.gz', async () => {
    const archivePath = path.join(temp.folder, 'small.tar.gz');
    writeFileSync(
      archivePath,
      gzipSync(
        tarBytes([
          { name: './', directory: true },
          { name: './top/', directory: true },
          { name: './top/a.txt', content: 'alpha' },
          { name: './top/deep/b.bin', content: Buffer.alloc(1500, 7) },
          { name: './top/empty', content: '' },
        ]),
      ),
    );
    const out = path.join(temp.folder, 'out');
    const written = await extractTarGz(archivePath, out);
    expect(written).toEqual(['top/a.txt', 'top/deep/b.bin', 'top/empty']);
    expect(readFileSync(path.join(out, 'top', 'a.txt'), 'utf8')).toBe('alpha');
    expect(readFileSync(path.join(out, 'top', 'deep', 'b.bin')).equals(Buffer.alloc(1500, 7))).toBe(true);
    expect(readFileSync(path.join(out, 'top', 'empty')).length).toBe(0);
  });

  it('rejects paths that escape the destination, bad checksums and truncated members', () => {
    expect(() => parseTar(tarBytes([{ name: '../evil.txt', content: 'x' }]), 'a.tar')).toThrow(/unsafe path/);
    expect(() => parseTar(tarBytes([{ name: '/etc/evil', content: 'x' }]), 'a.tar')).toThrow(/unsafe path/);

    const damaged = tarBytes([{ name: 'a.txt', content: 'hello' }]);
    damaged[10] ^= 0xff;
    expect(() => parseTar(damaged, 'damaged.tar')).toThrow(/damaged\.tar: tar header at byte 0 has a bad checksum/);

    const truncated = tarBytes([{ name: 'big.bin', content: Buffer.alloc(2000) }]).subarray(0, 1024);
    let error: unknown;
    try {
      parseTar(truncated, 'cut.tar');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WorkbenchError);
    expect((error as WorkbenchError).code).toBe('DATASET_CORRUPT');
    expect((error as WorkbenchError).message).toContain('declares 2000 bytes');
  });

  for (const format of ['gnu', 'pax']) {
    it.runIf(existsSync('/usr/bin/tar') || existsSync('/bin/tar'))(`reads ${format} archives made by the system tar, long names included`, async () => {
      const source = path.join(temp.folder, 'src');
      const longFolder = path.join(source, 'a-folder-with-a-rather-long-name-'.repeat(3), 'another-long-folder-name-'.repeat(3));
      mkdirSync(longFolder, { recursive: true });
      writeFileSync(path.join(longFolder, 'file-with-a-long-name-too.bin'), Buffer.alloc(700, 3));
      writeFileSync(path.join(source, 'short.txt'), 'short');
      const archivePath = path.join(temp.folder, 'system.tar.gz');
      execFileSync('tar', [`--format=${format}`, '-czf', archivePath, '-C', source, '.']);
      const out = path.join(temp.folder, 'out');
      const written = await extractTarGz(archivePath, out);
      const longRelative = path.relative(source, path.join(longFolder, 'file-with-a-long-name-too.bin')).split(path.sep).join('/');
      expect(longRelative.length).toBeGreaterThan(100);
      expect(written.sort()).toEqual([longRelative, 'short.txt'].sort());
      expect(readFileSync(path.join(out, ...longRelative.split('/'))).equals(Buffer.alloc(700, 3))).toBe(true);
    });
  }
});
