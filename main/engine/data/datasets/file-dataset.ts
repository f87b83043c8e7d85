/**
 * The part every file-based dataset shares: find its files (the user's folder,
 * else `<cacheDir>/<id>/`), fetch them when allowed, and otherwise fail with a
 * DATASET_MISSING message that says exactly what to put where.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../../errors.ts';
import type { DatasetLoadContext } from '../types.ts';
import { type DatasetSource, downloadDataset, installArchive } from './download.ts';
import { findFile } from './files.ts';

/** What `locate` found: the files, or the names of those missing. */
export type Located<Files> = { files: Files } | { missing: string[] };

/** How one file-based dataset finds its files. */
export interface FileDatasetLayout<Files> {
  id: string;
  name: string;
  source: DatasetSource;
  /** Looks for the dataset's files in `folder` (and any subfolder its archive unpacks to). */
  locate(folder: string): Located<Files>;
  /** One sentence on how the files may be laid out, for the DATASET_MISSING message. */
  layoutHint: string;
}

/**
 * Finds a dataset's files, downloading them into the cache first when they are
 * missing and `context.allowDownload` is set. A folder the user chose
 * (`context.path`) is only read, never written to.
 */
export async function resolveDatasetFiles<Files>(layout: FileDatasetLayout<Files>, context: DatasetLoadContext): Promise<{ folder: string; files: Files }> {
  const userFolder = context.path !== undefined;
  const folder = path.resolve(context.path ?? path.join(context.cacheDir, layout.id));
  let located = layout.locate(folder);
  if ('files' in located) return { folder, files: located.files };

  // An archive already in the cache (downloaded before, or put there by hand) is unpacked, not fetched again.
  if (!userFolder && layout.source.archive) {
    const archives = layout.source.files.map((file) => file.fileName);
    const archive = findFile(folder, archives);
    if (archive) {
      await installArchive(archive, folder, context);
      located = layout.locate(folder);
      if ('files' in located) return { folder, files: located.files };
    }
  }

  let missing = located.missing;
  let downloadProblem: string | undefined;
  if (context.allowDownload && !userFolder) {
    try {
      await downloadDataset(layout.source, folder, { onProgress: context.onProgress, signal: context.signal });
      located = layout.locate(folder);
      if ('files' in located) return { folder, files: located.files };
      missing = located.missing;
      downloadProblem = `the download finished but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} still missing`;
    } catch (error) {
      if (!(error instanceof WorkbenchError) || error.code !== 'DATASET_DOWNLOAD') throw error;
      downloadProblem = error.message;
    }
  }
  throw missingError(layout, folder, missing, { userFolder, allowDownload: context.allowDownload === true, downloadProblem });
}

function missingError(
  layout: FileDatasetLayout<unknown>,
  folder: string,
  missing: string[],
  how: { userFolder: boolean; allowDownload: boolean; downloadProblem?: string },
): WorkbenchError {
  const urls = layout.source.files.map((file) => file.url);
  const lines = [
    `${layout.name} files not found in ${folder}${existsSync(folder) ? '' : ' (the folder does not exist)'}: missing ${missing.join(', ')}.`,
  ];
  if (how.downloadProblem) lines.push(`Downloading failed: ${how.downloadProblem}`);
  else if (how.userFolder) lines.push('Files are not downloaded into a folder you chose; only the cache folder is filled automatically.');
  else if (!how.allowDownload) lines.push('Downloading was not allowed, so nothing was fetched.');
  lines.push(
    `To install by hand, download ${urls.join(', ')} (see ${layout.source.homepage}) and put ${urls.length > 1 ? 'them' : 'it'} in ${folder}. ${layout.layoutHint}`,
    `To keep datasets in another folder, pass --data-dir <folder> or set CLWB_DATA_DIR=<folder>; the files then go in <folder>${path.sep}${layout.id}.`,
  );
  return new WorkbenchError('DATASET_MISSING', lines.join('\n'), {
    path: folder,
    id: layout.id,
    missing,
    urls,
    ...(how.downloadProblem ? { downloadError: how.downloadProblem } : {}),
  });
}
