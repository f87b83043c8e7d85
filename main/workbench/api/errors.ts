/**
 * Errors on the API side of the contract: codes the engine does not have
 * (NOT_FOUND, CONFLICT, ...), and the one conversion every host uses to turn
 * whatever was thrown into an {@link ApiError} that crosses IPC or HTTP intact.
 */
import { WorkbenchError, type ErrorDetails } from '../../engine/errors.ts';
import type { ApiError, ApiErrorCode } from './contract.ts';

/** An error with an API code; thrown by workbench services, sent as `{ ok: false, error }`. */
export class ApiFailure extends Error {
  readonly code: ApiErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ApiErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
    this.details = details;
  }

  toJSON(): ApiError {
    return { code: this.code, message: this.message, ...(Object.keys(this.details).length ? { details: this.details } : {}) };
  }
}

/** Whatever was thrown, as an ApiError. Unknown errors become INTERNAL with their message (the stack stays in the log). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiFailure) return error.toJSON();
  if (error instanceof WorkbenchError) {
    const { code, message, details } = error.toJSON();
    const { stack: _stack, ...rest } = details;
    return { code, message, ...(Object.keys(rest).length ? { details: rest } : {}) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}
