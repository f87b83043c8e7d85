import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createIdxDatasetEntry,
  DATASET_SOURCES,
  type DatasetSource,
  downloadDataset,
  downloadFile,
  loadDataset,
  registerDataset,
  resolveUrl,
  unregisterDataset,
} from '../../main/engine/data/datasets/index.ts';
import type { DatasetProgress } from '../../main/engine/data/types.ts';
import { WorkbenchError } from '../../main/engine/errors.ts';
import { cifarRecords, idxImages, idxLabels, serveFiles, startServer, tarBytes, tempFolder } from '../fixtures/datasets/builders.ts';

async function rejection(promise: Promise<unknown>): Promise<WorkbenchError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(WorkbenchError);
  return error as WorkbenchError;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

let temp: ReturnType<typeof tempFolder>;
let server: Awaited<ReturnType<typeof startServer>> | undefined;
const savedMirror = process.env.CLWB_DATASET_MIRROR;
beforeEach(() => {
  temp = tempFolder();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  temp.remove();
  if (savedMirror === undefined) delete process.env.CLWB_DATASET_MIRROR;
  else process.env.CLWB_DATASET_MIRROR = savedMirror;
});

describe('downloadFile', () => {
  const body = Buffer.from(Uint8Array.from({ length: 200_000 }, (_, index) => (index * 13) % 251));

  it('streams to a temp file, reports progress, checks the checksum and renames into place', async () => {
    server = await startServer(serveFiles({ '/data.bin': body }));
    const destination = path.join(temp.folder, 'nested', 'data.bin');
    const progress: DatasetProgress[] = [];
    await downloadFile(`${server.url}/data.bin`, destination, { algorithm: 'md5', digest: md5(body) }, { onProgress: (event) => progress.push(event) });
    expect(readFileSync(destination).equals(body)).toBe(true);
    expect(readdirSync(path.dirname(destination))).toEqual(['data.bin']);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((event) => event.phase === 'download' && event.total === body.length)).toBe(true);
    expect(progress[0].loaded).toBe(0);
    expect(progress.at(-1)?.loaded).toBe(body.length);
    for (let index = 1; index < progress.length; index++) expect(progress[index].loaded).toBeGreaterThanOrEqual(progress[index - 1].loaded);
  });

  it('accepts SHA-256 checksums', async () => {
    server = await startServer(serveFiles({ '/data.bin': body }));
    const destination = path.join(temp.folder, 'data.bin');
    await downloadFile(`${server.url}/data.bin`, destination, { algorithm: 'sha256', digest: createHash('sha256').update(body).digest('hex').toUpperCase() });
    expect(existsSync(destination)).toBe(true);
  });

  it('throws DATASET_DOWNLOAD on a checksum mismatch and leaves no file behind', async () => {
    server = await startServer(serveFiles({ '/data.bin': body }));
    const destination = path.join(temp.folder, 'data.bin');
    const error = await rejection(downloadFile(`${server.url}/data.bin`, destination, { algorithm: 'md5', digest: '0'.repeat(32) }));
    expect(error.code).toBe('DATASET_DOWNLOAD');
    expect(error.message).toContain('Checksum mismatch');
    expect(error.message).toContain(md5(body));
    expect(readdirSync(temp.folder)).toEqual([]);
  });

  it('throws DATASET_DOWNLOAD on an HTTP error status', async () => {
    server = await startServer(serveFiles({}));
    const error = await rejection(downloadFile(`${server.url}/absent.bin`, path.join(temp.folder, 'absent.bin'), undefined));
    expect(error.code).toBe('DATASET_DOWNLOAD');
    expect(error.message).toContain('HTTP 404');
    expect(error.details.url).toBe(`${server.url}/absent.bin`);
    expect(readdirSync(temp.folder)).toEqual([]);
  });

  it('gives up when no response arrives in time, or the body stalls or ends early', async () => {
    server = await startServer((request, response) => {
      if (request.url === '/stall') {
        response.writeHead(200, { 'content-length': 1000 });
        response.write(Buffer.alloc(10));
      } else if (request.url === '/short') {
        // The connection drops after 10 of the 1000 bytes announced.
        response.writeHead(200, { 'content-length': 1000 });
        response.write(Buffer.alloc(10), () => response.destroy());
      }
      // '/silent' never answers.
    });
    let error = await rejection(downloadFile(`${server.url}/silent`, path.join(temp.folder, 'a'), undefined, { firstResponseTimeoutMs: 200 }));
    expect(error.code).toBe('DATASET_DOWNLOAD');
    expect(error.message).toContain('no response within 0.2 s');
    error = await rejection(downloadFile(`${server.url}/stall`, path.join(temp.folder, 'b'), undefined, { stallTimeoutMs: 200 }));
    expect(error.code).toBe('DATASET_DOWNLOAD');
    expect(error.message).toContain('stalled');
    error = await rejection(downloadFile(`${server.url}/short`, path.join(temp.folder, 'c'), undefined));
    expect(error.code).toBe('DATASET_DOWNLOAD');
    expect(error.message).toContain('failed after 10 bytes');
    expect(readdirSync(temp.folder)).toEqual([]);
  });

  it('throws CANCELLED when the caller aborts', async () => {
    server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-length': 1000 });
      response.write(Buffer.alloc(10));
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(downloadFile(`${server.url}/x`, path.join(temp.folder, 'x'), undefined, { signal: controller.signal }));
    expect(error.code).toBe('CANCELLED');
    expect(readdirSync(temp.folder)).toEqual([]);
  });

  it('fails fast with DATASET_DOWNLOAD when nothing listens', async () => {
    server = await startServer(serveFiles({}));
    const deadUrl = `${server.url}/x`;
    await server.close();
    server = undefined;
    const error = await rejection(downloadFile(deadUrl, path.join(temp.folder, 'x'), undefined));
    expect(error.code).toBe('DATASET_DOWNLOAD');
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('dataset downloads', () => {
  it('knows the canonical sources and their MD5s', () => {
    expect(DATASET_SOURCES.mnist.files.map((file) => file.url)).toContain('https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz');
    expect(DATASET_SOURCES.mnist.files[0].checksum).toEqual({ algorithm: 'md5', digest: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' });
    expect(DATASET_SOURCES['fashion-mnist'].files[2].checksum.digest).toBe('bef4ecab320f06d8554ea6380940ec79');
    expect(DATASET_SOURCES.cifar10.files[0].url).toBe('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
    expect(DATASET_SOURCES.cifar100.files[0].checksum.digest).toBe('03b5dce01913d631647c71ecec9e9cb8');
    for (const source of Object.values(DATASET_SOURCES)) {
      for (const file of source.files) expect(file.checksum.digest).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('maps files onto a mirror as <mirror>/<id>/<file>', () => {
    const source = DATASET_SOURCES['fashion-mnist'];
    expect(resolveUrl(source, source.files[0], 'http://127.0.0.1:9/mirror/')).toBe('http://127.0.0.1:9/mirror/fashion-mnist/train-images-idx3-ubyte.gz');
    expect(resolveUrl(source, source.files[0], '')).toBe(source.files[0].url);
  });

  it('downloads a missing dataset into the cache when allowed, then loads it', async () => {
    const files: Record<string, Buffer> = {
      '/train-images-idx3-ubyte.gz': gzipSync(idxImages(4)),
      '/train-labels-idx1-ubyte.gz': gzipSync(idxLabels([0, 1, 2, 3])),
      '/t10k-images-idx3-ubyte.gz': gzipSync(idxImages(2)),
      '/t10k-labels-idx1-ubyte.gz': gzipSync(idxLabels([4, 5])),
    };
    server = await startServer(serveFiles(files));
    const source: DatasetSource = {
      id: 'test-download-idx',
      homepage: server.url,
      archive: false,
      files: Object.entries(files).map(([urlPath, bytes]) => ({ fileName: urlPath.slice(1), url: server!.url + urlPath, checksum: { algorithm: 'md5', digest: md5(bytes) } })),
    };
    registerDataset(createIdxDatasetEntry({ id: source.id, name: 'Test IDX', description: 'test', classNames: Array.from({ length: 10 }, String), source }));
    try {
      const progress: DatasetProgress[] = [];
      const dataset = await loadDataset(source.id, { cacheDir: temp.folder, allowDownload: true, onProgress: (event) => progress.push(event) });
      expect([...dataset.train.y]).toEqual([0, 1, 2, 3]);
      expect([...dataset.test.y]).toEqual([4, 5]);
      expect(readdirSync(path.join(temp.folder, source.id)).sort()).toEqual(Object.keys(files).map((urlPath) => urlPath.slice(1)).sort());
      expect(progress.some((event) => event.phase === 'download')).toBe(true);
      expect(progress.some((event) => event.phase === 'read')).toBe(true);
      // A second load finds the files and fetches nothing.
      const requests = server.requests.length;
      await loadDataset(source.id, { cacheDir: temp.folder, allowDownload: true });
      expect(server.requests.length).toBe(requests);
      // After losing one file, only that file is fetched again.
      rmSync(path.join(temp.folder, source.id, 't10k-labels-idx1-ubyte.gz'));
      await loadDataset(source.id, { cacheDir: temp.folder, allowDownload: true });
      expect(server.requests.slice(requests)).toEqual(['/t10k-labels-idx1-ubyte.gz']);
    } finally {
      unregisterDataset(source.id);
    }
  });

  it('downloads and unpacks an archive, deleting it afterwards', async () => {
    const archive = gzipSync(
      tarBytes([
        { name: 'cifar-10-batches-bin/data_batch_1.bin', content: cifarRecords([[1]]) },
        { name: 'cifar-10-batches-bin/test_batch.bin', content: cifarRecords([[2]]) },
      ]),
    );
    server = await startServer(serveFiles({ '/cifar10/cifar-10-binary.tar.gz': archive }));
    const source: DatasetSource = { ...DATASET_SOURCES.cifar10, files: [{ ...DATASET_SOURCES.cifar10.files[0], checksum: { algorithm: 'md5', digest: md5(archive) } }] };
    const folder = path.join(temp.folder, 'cifar10');
    const placed = await downloadDataset(source, folder, { baseUrl: server.url });
    expect(server.requests).toEqual(['/cifar10/cifar-10-binary.tar.gz']);
    expect(placed.sort()).toEqual([path.join(folder, 'cifar-10-batches-bin', 'data_batch_1.bin'), path.join(folder, 'cifar-10-batches-bin', 'test_batch.bin')]);
    expect(readdirSync(folder)).toEqual(['cifar-10-batches-bin']);
  });

  it('turns a failed download into DATASET_MISSING with the reason and manual steps, leaving nothing behind', async () => {
    // The mirror serves files whose MD5 is not MNIST's: every download must be rejected.
    server = await startServer(serveFiles({ '/mnist/train-images-idx3-ubyte.gz': gzipSync(idxImages(1)) }));
    process.env.CLWB_DATASET_MIRROR = server.url;
    const error = await rejection(loadDataset('mnist', { cacheDir: temp.folder, allowDownload: true }));
    expect(server.requests).toEqual(['/mnist/train-images-idx3-ubyte.gz']);
    expect(error.code).toBe('DATASET_MISSING');
    expect(error.message).toContain('Downloading failed');
    expect(error.message).toContain('Checksum mismatch');
    expect(error.message).toContain(path.join(temp.folder, 'mnist'));
    expect(error.message).toContain('CLWB_DATA_DIR');
    expect(error.details.downloadError).toContain('Checksum mismatch');
    expect(readdirSync(path.join(temp.folder, 'mnist'))).toEqual([]);
  });
});
