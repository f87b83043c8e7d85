/**
 * Dataset types shared by loaders, scenarios and the training loop.
 * Samples are kept as flat typed arrays (never one big tensor): batches are
 * built from `subarray`s, which is much faster on the wasm backend than tf.slice.
 */

/** One split of a dataset: `count` samples, each `inputSize` floats in NHWC order. */
export interface DataSplit {
  /** count * inputSize floats, sample-major, each image in HWC order, values scaled to [0, 1]. */
  x: Float32Array;
  /** count labels in [0, numClasses). */
  y: Int32Array;
  count: number;
}

export interface Dataset {
  /** The registry id it was loaded by, e.g. `mnist-bundled`. */
  id: string;
  name: string;
  /** [height, width, channels]. */
  inputShape: [number, number, number];
  numClasses: number;
  classNames: string[];
  train: DataSplit;
  test: DataSplit;
  /** Where the samples came from (package, file paths, or `generated`), for the run record. */
  source: string;
}

export interface DatasetProgress {
  phase: 'download' | 'read' | 'decode';
  /** Bytes or samples done so far. */
  loaded: number;
  /** Total when known. */
  total?: number;
  message?: string;
}

export interface DatasetLoadContext {
  /** Folder where downloaded and imported dataset files live (see `defaultCacheDir`). */
  cacheDir: string;
  /** Folder with the user's own copy of the files; overrides the cache. */
  path?: string;
  /** Whether the loader may try the network when files are missing (default false). */
  allowDownload?: boolean;
  onProgress?: (progress: DatasetProgress) => void;
  signal?: AbortSignal;
}

/** A registry entry: metadata known without loading, and the loader. */
export interface DatasetEntry {
  id: string;
  name: string;
  description: string;
  inputShape: [number, number, number];
  numClasses: number;
  /** True when the samples ship inside the app (no files or network needed). */
  bundled: boolean;
  load(context: DatasetLoadContext): Promise<Dataset>;
}
