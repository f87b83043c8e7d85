/** Errors as the UI shows them: the contract's code, the sentence, and where it applies. */

export interface ShownError {
  /** The contract's error code (`NOT_IMPLEMENTED`, `DATASET_MISSING` ...), `TRANSPORT`, or `ERROR`. */
  code: string;
  message: string;
  /** A field or file path the error concerns, when it says. */
  path?: string;
  details?: Record<string, unknown>;
}

/** Any thrown value (an ApiCallError from the client, an Error, a string) as a ShownError. */
export function toShownError(error: unknown): ShownError {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown; details?: unknown };
    const details = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : undefined;
    const path = typeof details?.path === 'string' ? details.path : undefined;
    return {
      code: typeof e.code === 'string' ? e.code : 'ERROR',
      message: typeof e.message === 'string' ? e.message : String(error),
      ...(path ? { path } : {}),
      ...(details ? { details } : {}),
    };
  }
  return { code: 'ERROR', message: String(error) };
}

/** What to do next for the codes a user can act on. */
export function errorHint(code: string): string | undefined {
  switch (code) {
    case 'NOT_IMPLEMENTED':
      return 'This build of the back end does not do this yet.';
    case 'NO_PROJECT':
      return 'Open or create a project first (the project menu, top left).';
    case 'DATASET_MISSING':
      return 'Download or import the dataset in the Datasets view.';
    case 'TRANSPORT':
      return 'The back end did not answer: is `clwb serve` (or the app) still running?';
    case 'FORBIDDEN':
      return 'Open the URL that `clwb serve` printed (it carries the token).';
    case 'SPEC_INVALID':
      return 'Fix the problems marked on the canvas.';
    case 'WORKER_EXITED':
      return 'The run’s process stopped; it can be resumed from its last checkpoint.';
    default:
      return undefined;
  }
}
