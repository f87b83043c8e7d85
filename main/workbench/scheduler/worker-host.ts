/**
 * The scheduler's view of a run worker, whichever way it was started: a typed
 * launch configuration, a message channel, and a typed exit. Hosts provide a
 * {@link WorkerLauncher}: `forkLauncher` (child_process.fork, headless) here, and
 * the Electron host's utilityProcess launcher in main/app.
 */
import type { WorkerExitReason } from '../api/contract.ts';
import type { FromWorker, ToWorker } from '../../worker/protocol.ts';

/** How a worker process ended. */
export interface WorkerExit {
  /** Exit code, when it exited by itself. */
  code: number | null;
  /** The signal that ended it (Node child processes). */
  signal: string | null;
  /** A reason the host knows for sure (Electron's child-process-gone reports oom, crashed, killed). */
  hostReason?: WorkerExitReason;
  /** The last few KiB of its stderr, for the failure message and the OOM check. */
  stderrTail: string;
}

/** One launched worker process. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** Called once when the process is gone (or could not start). */
  onExit(listener: (exit: WorkerExit) => void): void;
  /** Ends the process at once (SIGKILL or the host's equivalent). */
  kill(): void;
}

export interface LaunchOptions {
  runId: string;
  /** The slot the run occupies (0 .. concurrency-1); with GPUs, the GPU index it gets. */
  slot: number;
}

export type WorkerLauncher = (options: LaunchOptions) => WorkerHandle;

/** What text in a dying worker's stderr says it ran out of memory (V8 heap, CUDA, libtensorflow, wasm). */
const OUT_OF_MEMORY = /heap out of memory|allocation failed|out of memory|CUDA_ERROR_OUT_OF_MEMORY|ResourceExhausted|OOM when allocating|std::bad_alloc|Cannot enlarge memory/i;

/** Why a worker ended without finishing its run, in words for the user. */
export function classifyExit(exit: WorkerExit): { reason: WorkerExitReason; message: string } {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const lastLine = exit.stderrTail.trim().split('\n').filter(Boolean).at(-1);
  const said = lastLine ? `; its last words: ${lastLine.slice(0, 300)}` : '';
  if (exit.hostReason === 'oom' || OUT_OF_MEMORY.test(exit.stderrTail)) {
    return { reason: 'oom', message: `The run's worker ran out of memory (${how}). Try a smaller batch size, model or replay buffer, or fewer concurrent runs${said}` };
  }
  if (exit.hostReason === 'launch-failed') return { reason: 'launch-failed', message: `The run's worker process could not be started${said}` };
  if (exit.hostReason === 'killed' || exit.signal === 'SIGKILL' || exit.signal === 'SIGTERM' || exit.signal === 'SIGINT' || exit.signal === 'SIGHUP') {
    const who = exit.signal === 'SIGKILL' ? ' (by another program, or by the system when memory ran out)' : '';
    return { reason: 'killed', message: `The run's worker was killed${who} (${how})` };
  }
  return { reason: 'crash', message: `The run's worker crashed (${how})${said}` };
}

/** Keeps the last `limit` characters of a stream's text. */
export class TailBuffer {
  private text = '';

  constructor(private readonly limit = 8192) {}

  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.limit);
  }

  toString(): string {
    return this.text;
  }
}
