/**
 * The dataset manager behind `datasets.*`: which datasets are ready (bundled, or
 * their files are in the cache), downloading the canonical files with progress,
 * and importing them from a folder the user has (copied into the cache, never
 * moved). Loading and parsing stay the engine's, in the run workers.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  DATASET_SOURCES,
  downloadDataset,
  getDatasetEntry,
  importCsvDataset,
  importedRoot,
  importImageFolderDataset,
  IMPORTED_ID_PREFIX,
  listDatasets,
  registerImportedDatasets,
  locateCifarFiles,
  locateIdxFiles,
  type Located,
} from '../../engine/data/datasets/index.ts';
import type { DatasetProgress } from '../../engine/data/types.ts';
import { randomBytes } from 'node:crypto';
import { ApiFailure } from './errors.ts';
import type { DatasetImportRequest, DatasetInfo } from './contract.ts';

/** Finds a file-based dataset's files in a folder; the paths found, or what is missing. */
type Locator = (folder: string) => Located<string[]>;

const flatten = <T>(located: Located<T>, files: (found: T) => (string | undefined)[]): Located<string[]> =>
  'files' in located ? { files: files(located.files).filter((file): file is string => file !== undefined) } : located;

/** The file layouts of the file-based datasets (the same names as the engine's loaders use). */
const LOCATORS: Record<string, Locator> = {
  mnist: (folder) => flatten(locateIdxFiles(folder), (f) => [f.trainImages, f.trainLabels, f.testImages, f.testLabels]),
  'fashion-mnist': (folder) => flatten(locateIdxFiles(folder), (f) => [f.trainImages, f.trainLabels, f.testImages, f.testLabels]),
  cifar10: (folder) =>
    flatten(
      locateCifarFiles(folder, { subfolder: 'cifar-10-batches-bin', trainFiles: [1, 2, 3, 4, 5].map((b) => `data_batch_${b}.bin`), testFiles: ['test_batch.bin'], namesFile: 'batches.meta.txt' }),
      (f) => [...f.train, ...f.test, f.names],
    ),
  cifar100: (folder) =>
    flatten(locateCifarFiles(folder, { subfolder: 'cifar-100-binary', trainFiles: ['train.bin'], testFiles: ['test.bin'], namesFile: 'fine_label_names.txt' }), (f) => [...f.train, ...f.test, f.names]),
};

export class DatasetManager {
  private readonly downloads = new Map<string, Promise<DatasetInfo>>();

  constructor(readonly cacheDir: string) {
    registerImportedDatasets(cacheDir);
  }

  info(id: string): DatasetInfo {
    const entry = getDatasetEntry(id);
    const base = {
      id: entry.id,
      name: entry.name,
      description: entry.description,
      inputShape: entry.inputShape,
      numClasses: entry.numClasses,
      bundled: entry.bundled,
    };
    if (id.startsWith(IMPORTED_ID_PREFIX)) {
      return { ...base, available: true, downloadable: false, importable: false, imported: true, folder: path.join(importedRoot(this.cacheDir), id) };
    }
    const locate = LOCATORS[id];
    if (entry.bundled || !locate) return { ...base, available: entry.bundled || !locate, downloadable: false, importable: false };
    const folder = path.join(this.cacheDir, id);
    const located = locate(folder);
    return {
      ...base,
      available: 'files' in located,
      downloadable: id in DATASET_SOURCES,
      importable: true,
      folder,
      ...('missing' in located ? { missing: located.missing } : {}),
    };
  }

  list(): DatasetInfo[] {
    // Picks up datasets another process (e.g. `clwb datasets import`) imported meanwhile.
    registerImportedDatasets(this.cacheDir);
    return listDatasets().map((entry) => this.info(entry.id));
  }

  /** Downloads a dataset into the cache (once at a time per dataset); reports progress. */
  download(id: string, onProgress: (progress: DatasetProgress) => void): Promise<DatasetInfo> {
    const info = this.info(id);
    if (info.available) return Promise.resolve(info);
    const source = DATASET_SOURCES[id];
    if (!source) throw new ApiFailure('BAD_REQUEST', `Dataset "${id}" cannot be downloaded${info.bundled ? ': it ships with the app' : ''}`, { id });
    let running = this.downloads.get(id);
    if (!running) {
      running = downloadDataset(source, path.join(this.cacheDir, id), { onProgress })
        .then(() => this.info(id))
        .finally(() => this.downloads.delete(id));
      this.downloads.set(id, running);
    }
    return running;
  }

  /** `datasets.import`: a built-in's files (`id` + `folder`), or CSV / an image folder (`format` + `source` + `name`). */
  async importRequest(request: DatasetImportRequest, onProgress: (progress: DatasetProgress) => void): Promise<DatasetInfo> {
    if (request.format === undefined) {
      if (request.id === undefined || request.folder === undefined) {
        throw new ApiFailure('BAD_REQUEST', 'Give either id and folder (files of a built-in dataset) or format, source and name (CSV or image folder)', { path: '$' });
      }
      return this.import(request.id, request.folder);
    }
    if (request.id !== undefined || request.folder !== undefined) throw new ApiFailure('BAD_REQUEST', 'id and folder do not go with format; give source and name', { path: '$' });
    if (request.source === undefined) throw new ApiFailure('BAD_REQUEST', 'source is required: the CSV file or the folder to import', { path: 'source' });
    if (request.name === undefined || request.name.trim() === '') throw new ApiFailure('BAD_REQUEST', 'name is required: what to call the new dataset', { path: 'name' });
    if (!path.isAbsolute(request.source)) throw new ApiFailure('BAD_REQUEST', `The source to import must be an absolute path, got ${request.source}`, { path: 'source' });
    const options = { name: request.name.trim(), onProgress, ...(request.inputShape ? { inputShape: request.inputShape } : {}) };
    const manifest =
      request.format === 'csv' ? await importCsvDataset(this.cacheDir, request.source, options) : await importImageFolderDataset(this.cacheDir, request.source, options);
    return this.info(manifest.id);
  }

  /**
   * Copies a dataset's files from `folder` into the cache (temp file + rename each). The
   * source folder is only read.
   */
  async import(id: string, folder: string): Promise<DatasetInfo> {
    getDatasetEntry(id);
    const locate = LOCATORS[id];
    if (!locate) throw new ApiFailure('BAD_REQUEST', `Dataset "${id}" has no files to import (it is bundled or generated)`, { id });
    if (!path.isAbsolute(folder)) throw new ApiFailure('BAD_REQUEST', `The folder to import from must be an absolute path, got ${folder}`, { path: folder });
    try {
      if (!(await fs.stat(folder)).isDirectory()) throw new ApiFailure('BAD_REQUEST', `${folder} is not a folder`, { path: folder });
    } catch (error) {
      if (error instanceof ApiFailure) throw error;
      throw new ApiFailure('NOT_FOUND', `${folder} does not exist`, { path: folder });
    }
    const located = locate(folder);
    if ('missing' in located) {
      throw new ApiFailure('NOT_FOUND', `${folder} lacks files of ${id}: ${located.missing.join(', ')}`, { path: folder, missing: located.missing });
    }
    const target = path.join(this.cacheDir, id);
    await fs.mkdir(target, { recursive: true });
    for (const file of located.files) {
      const destination = path.join(target, path.basename(file));
      const temporary = `${destination}.${randomBytes(4).toString('hex')}.part`;
      try {
        await fs.copyFile(file, temporary);
        await fs.rename(temporary, destination);
      } finally {
        await fs.rm(temporary, { force: true });
      }
    }
    return this.info(id);
  }
}
