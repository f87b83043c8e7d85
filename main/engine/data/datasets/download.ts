/**
 * Downloading dataset files: the canonical sources with their checksums, a
 * streaming download with progress, checksum check and an atomic rename, and
 * unpacking of the CIFAR archives. A file is only ever visible under its final
 * name once its checksum has matched, so an interrupted download never leaves
 * a half file that a later load would mistake for data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { WorkbenchError } from '../../errors.ts';
import type { DatasetProgress } from '../types.ts';
import { extractTarGz } from './tar.ts';

/** An expected digest of a file, lowercase hex. */
export interface Checksum {
  algorithm: 'md5' | 'sha256';
  digest: string;
}

/** One file to fetch for a dataset. */
export interface RemoteFile {
  /** Name it is saved under in the dataset folder (and its name at the source). */
  fileName: string;
  url: string;
  checksum: Checksum;
}

/** Where a file-based dataset comes from. */
export interface DatasetSource {
  /** The registry id; also the name of its folder in the cache and on a mirror. */
  id: string;
  /** The address to tell users who fetch the files by hand. */
  homepage: string;
  files: RemoteFile[];
  /** True when the files are `.tar.gz` archives to unpack into the dataset folder. */
  archive: boolean;
}

const MNIST_BASE = 'https://ossci-datasets.s3.amazonaws.com/mnist/';
const FASHION_BASE = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
const CIFAR_BASE = 'https://www.cs.toronto.edu/~kriz/';

function md5(digest: string): Checksum {
  return { algorithm: 'md5', digest };
}

function filesAt(base: string, files: [string, string][]): RemoteFile[] {
  return files.map(([fileName, digest]) => ({ fileName, url: base + fileName, checksum: md5(digest) }));
}

/**
 * The canonical sources, with the MD5s published by the dataset authors (and
 * used by torchvision).
 */
export const DATASET_SOURCES: Readonly<Record<string, DatasetSource>> = {
  mnist: {
    id: 'mnist',
    homepage: MNIST_BASE,
    archive: false,
    files: filesAt(MNIST_BASE, [
      ['train-images-idx3-ubyte.gz', 'f68b3c2dcbeaaa9fbdd348bbdeb94873'],
      ['train-labels-idx1-ubyte.gz', 'd53e105ee54ea40749a09fcbcd1e9432'],
      ['t10k-images-idx3-ubyte.gz', '9fb629c4189551a2d022fa330f9573f3'],
      ['t10k-labels-idx1-ubyte.gz', 'ec29112dd5afa0611ce80d1b7f02629c'],
    ]),
  },
  'fashion-mnist': {
    id: 'fashion-mnist',
    homepage: FASHION_BASE,
    archive: false,
    files: filesAt(FASHION_BASE, [
      ['train-images-idx3-ubyte.gz', '8d4fb7e6c68d591d4c3dfef9ec88bf0d'],
      ['train-labels-idx1-ubyte.gz', '25c81989df183df01b3e8a0aad5dffbe'],
      ['t10k-images-idx3-ubyte.gz', 'bef4ecab320f06d8554ea6380940ec79'],
      ['t10k-labels-idx1-ubyte.gz', 'bb300cfdad3c16e7a12a480ee83cd310'],
    ]),
  },
  cifar10: {
    id: 'cifar10',
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    archive: true,
    files: filesAt(CIFAR_BASE, [['cifar-10-binary.tar.gz', 'c32a1d4ab5d03f1284b67883e8d87530']]),
  },
  cifar100: {
    id: 'cifar100',
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    archive: true,
    files: filesAt(CIFAR_BASE, [['cifar-100-binary.tar.gz', '03b5dce01913d631647c71ecec9e9cb8']]),
  },
};

/** Options shared by `downloadFile` and `downloadDataset`. */
export interface DownloadOptions {
  onProgress?: (progress: DatasetProgress) => void;
  signal?: AbortSignal;
  /** Give up when no response headers arrive within this time (default 15 s). */
  firstResponseTimeoutMs?: number;
  /** Give up when the body stops flowing for this long (default 60 s). */
  stallTimeoutMs?: number;
}

/**
 * The address to fetch `file` from. A mirror (the `baseUrl` argument, else
 * `$CLWB_DATASET_MIRROR`) replaces the canonical host: files are then fetched
 * from `<mirror>/<dataset id>/<file name>`, since MNIST and Fashion-MNIST use
 * the same file names.
 */
export function resolveUrl(source: DatasetSource, file: RemoteFile, baseUrl = process.env.CLWB_DATASET_MIRROR): string {
  if (!baseUrl) return file.url;
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(source.id)}/${encodeURIComponent(file.fileName)}`;
}

/**
 * Downloads `url` to `destination`: streamed to a temp file beside it, hashed
 * on the way, then renamed into place only if the checksum matches. On any
 * failure the temp file is removed. Throws DATASET_DOWNLOAD (network, HTTP
 * status, timeout, size or checksum), or CANCELLED when `signal` aborts.
 */
export async function downloadFile(url: string, destination: string, checksum: Checksum | undefined, options: DownloadOptions = {}): Promise<void> {
  const { onProgress, signal } = options;
  const firstResponseTimeoutMs = options.firstResponseTimeoutMs ?? 15_000;
  const stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  if (signal?.aborted) throw cancelled(url);
  await mkdir(path.dirname(destination), { recursive: true });
  const temp = path.join(path.dirname(destination), `.${path.basename(destination)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);

  // One controller aborts the request for either timeout or the caller's signal;
  // `timedOut` says which, so the error can tell a cancel from a dead network.
  const controller = new AbortController();
  let timedOut: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, reason: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = reason;
      controller.abort();
    }, ms);
  };
  const onCallerAbort = () => controller.abort();
  signal?.addEventListener('abort', onCallerAbort, { once: true });

  const fail = (message: string, cause?: unknown): WorkbenchError => {
    if (signal?.aborted) return cancelled(url);
    const reason = timedOut ?? (cause instanceof Error ? describeNetworkError(cause) : undefined);
    return new WorkbenchError('DATASET_DOWNLOAD', reason ? `${message}: ${reason}` : message, { path: destination, url });
  };

  try {
    arm(firstResponseTimeoutMs, `no response within ${firstResponseTimeoutMs / 1000} s`);
    let response: Response;
    try {
      // identity: the checksum is of the file's own bytes, not of a re-encoding.
      response = await fetch(url, { signal: controller.signal, headers: { 'accept-encoding': 'identity' } });
    } catch (error) {
      throw fail(`Could not download ${url}`, error);
    }
    if (!response.ok || !response.body) {
      throw fail(`Could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
    }
    const lengthHeader = response.headers.get('content-length');
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    const encoding = response.headers.get('content-encoding');
    const hash = createHash(checksum?.algorithm ?? 'sha256');
    let loaded = 0;
    let lastReport = 0;
    const report = (force: boolean) => {
      const now = Date.now();
      // Throttled: a 170 MB body arrives in thousands of chunks.
      if (!force && now - lastReport < 100) return;
      lastReport = now;
      onProgress?.({ phase: 'download', loaded, total, message: path.basename(destination) });
    };
    report(true);
    const stallMessage = `the download stalled (no data for ${stallTimeoutMs / 1000} s)`;
    arm(stallTimeoutMs, stallMessage);
    try {
      await pipeline(
        Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>),
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            arm(stallTimeoutMs, stallMessage);
            hash.update(chunk);
            loaded += chunk.length;
            report(false);
            yield chunk;
          }
        },
        createWriteStream(temp, { flags: 'wx' }),
        { signal: controller.signal },
      );
    } catch (error) {
      throw fail(`Download of ${url} failed after ${loaded} bytes`, error);
    }
    clearTimeout(timer);
    report(true);
    if (total !== undefined && loaded !== total && !encoding) {
      throw fail(`Download of ${url} is incomplete: expected ${total} bytes, received ${loaded}`);
    }
    const digest = hash.digest('hex');
    if (checksum && digest !== checksum.digest.toLowerCase()) {
      const hint = encoding && encoding !== 'identity' ? ` (the server applied Content-Encoding: ${encoding})` : '';
      throw fail(`Checksum mismatch for ${url}: expected ${checksum.algorithm} ${checksum.digest}, got ${digest}${hint}. The file was discarded`);
    }
    await rename(temp, destination);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
    await rm(temp, { force: true });
  }
}

/**
 * Downloads every file of a dataset into `folder` (normally `<cacheDir>/<id>`)
 * and unpacks archives there, then deletes them. A plain file already in
 * `folder` is kept (only checksum-verified files ever get their final name), so
 * a retry after a failure fetches only what is still missing. `baseUrl`
 * overrides the host as in `resolveUrl`. Returns the paths of the files placed
 * in `folder`.
 */
export async function downloadDataset(
  source: DatasetSource,
  folder: string,
  options: DownloadOptions & { baseUrl?: string } = {},
): Promise<string[]> {
  const placed: string[] = [];
  for (const file of source.files) {
    const destination = path.join(folder, file.fileName);
    if (!source.archive && existsSync(destination)) {
      placed.push(destination);
      continue;
    }
    await downloadFile(resolveUrl(source, file, options.baseUrl), destination, file.checksum, options);
    if (source.archive) {
      placed.push(...(await installArchive(destination, folder, options)));
      await rm(destination, { force: true });
    } else {
      placed.push(destination);
    }
  }
  return placed;
}

/**
 * Unpacks an archive into a temp folder beside `folder`'s contents, then moves
 * its top-level entries into `folder`, so a failed unpack leaves nothing that
 * looks like data. Returns the paths of the files now in `folder`.
 */
export async function installArchive(archivePath: string, folder: string, options: Pick<DownloadOptions, 'onProgress' | 'signal'> = {}): Promise<string[]> {
  const staging = path.join(folder, `.extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    options.onProgress?.({ phase: 'decode', loaded: 0, message: `unpacking ${path.basename(archivePath)}` });
    const files = await extractTarGz(archivePath, staging, { signal: options.signal });
    for (const name of await readdir(staging)) {
      const target = path.join(folder, name);
      await rm(target, { recursive: true, force: true });
      await rename(path.join(staging, name), target);
    }
    options.onProgress?.({ phase: 'decode', loaded: files.length, total: files.length, message: `unpacked ${path.basename(archivePath)}` });
    return files.map((name) => path.join(folder, ...name.split('/')));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function cancelled(url: string): WorkbenchError {
  return new WorkbenchError('CANCELLED', `Download of ${url} was cancelled.`, { url });
}

/** fetch reports "fetch failed" and hides the useful part in `cause`. */
function describeNetworkError(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    return code ? `${code} ${cause.message}` : cause.message;
  }
  return error.message;
}
