/**
 * Errors that travel from the engine (and its worker) to the CLI and the UI.
 * Every error carries a stable `code` and, where it concerns a field or a file,
 * `details.path` saying where, so the UI can show it next to what it concerns.
 */
export type ErrorCode =
  | 'SPEC_INVALID'
  | 'UNKNOWN_ID'
  | 'DATASET_MISSING'
  | 'DATASET_CORRUPT'
  | 'DATASET_DOWNLOAD'
  | 'BACKEND_UNAVAILABLE'
  | 'CHECKPOINT_INVALID'
  | 'RESULTS_INVALID'
  | 'IO'
  | 'CANCELLED'
  | 'INTERNAL';

export interface ErrorDetails {
  /** A field path (`strategies[1].params.lr`) or a file path. */
  path?: string;
  /** Every problem found, for validation errors that list several. */
  problems?: { path: string; message: string }[];
  [key: string]: unknown;
}

export class WorkbenchError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'WorkbenchError';
    this.code = code;
    this.details = details;
  }

  /** A plain object that survives JSON and process boundaries. */
  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}
