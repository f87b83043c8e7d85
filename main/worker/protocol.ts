/**
 * The run-worker message protocol: what the scheduler (parent) and a run worker
 * (child) say to each other. The same plain messages travel over Electron's
 * `utilityProcess` port (`process.parentPort`, structured clone) and over Node's
 * `child_process.fork` channel (`process.send` with `serialization: 'advanced'`),
 * so typed arrays (checkpoint blobs) cross without a JSON detour.
 *
 * Types only: both sides import this file with `import type`.
 */
import type { BackendName, BackendInfo } from '../engine/backend/index.ts';
import type { RunEvent } from '../engine/run/events.ts';
import type { RunResult } from '../engine/run/result.ts';
import type { ExperimentSpec } from '../engine/spec/experiment.ts';
import type { ErrorCode, ErrorDetails } from '../engine/errors.ts';

/** A checkpoint split into a JSON manifest and one binary blob (engine `packState`). */
export interface PackedState {
  manifest: unknown;
  blob: Uint8Array;
}

/** Everything a worker needs to run one strategy x one seed. */
export interface WorkerRunRequest {
  runId: string;
  spec: ExperimentSpec;
  strategyIndex: number;
  label: string;
  seed: number;
  /** tfjs backend to use ('auto' picks the best that loads). */
  backend: BackendName | 'auto';
  /** Dataset cache folder. */
  dataDir: string;
  /** Continue from this checkpoint (taken by an earlier worker of the same run). */
  resumeFrom?: PackedState;
}

export interface WorkerError {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}

/** Parent -> worker. */
export type ToWorker =
  | { type: 'start'; request: WorkerRunRequest }
  /** Report the backend this worker would use, then wait for shutdown. */
  | { type: 'probe'; backend: BackendName | 'auto' }
  /** Stop the run at the next step; the worker answers with `error` CANCELLED. */
  | { type: 'cancel' }
  /** The checkpoint of `completed` experiences is on disk; training may go on. */
  | { type: 'checkpoint-saved'; completed: number }
  | { type: 'checkpoint-failed'; completed: number; error: WorkerError }
  /** Exit now (after a result or an error). */
  | { type: 'shutdown' };

/** Worker -> parent. */
export type FromWorker =
  /** Sent once the worker's message handler is installed. */
  | { type: 'ready'; pid: number }
  | { type: 'event'; event: RunEvent }
  /** A checkpoint to store; the worker waits for `checkpoint-saved` before it goes on. */
  | { type: 'checkpoint'; completed: number; checkpoint: PackedState }
  | { type: 'result'; result: RunResult }
  | { type: 'error'; error: WorkerError }
  | { type: 'probe-result'; backend: BackendInfo | null; backends: { name: string; available: boolean; reason?: string }[]; error?: WorkerError };
