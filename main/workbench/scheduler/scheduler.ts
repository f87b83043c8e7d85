/**
 * The run scheduler: a first-in, first-out queue (priority by order) feeding at most
 * `concurrency` worker processes, one per run. It turns a worker's messages into
 * calls on the run's {@link RunSink} (events, checkpoints, the outcome) in order,
 * cancels (queued: dropped; running: asked to stop, killed after a grace period),
 * and fails a run whose worker dies with a typed reason while the others go on.
 *
 * It knows nothing of files: the service gives each job a sink that stores it.
 */
import { WorkbenchError, type ErrorCode } from '../../engine/errors.ts';
import type { RunEvent } from '../../engine/run/events.ts';
import type { RunResult } from '../../engine/run/result.ts';
import type { RunFailure, WorkerExitReason } from '../api/contract.ts';
import type { FromWorker, PackedState, WorkerRunRequest } from '../../worker/protocol.ts';
import { classifyExit, type WorkerExit, type WorkerHandle, type WorkerLauncher } from './worker-host.ts';

/** How a run ended. */
export type RunOutcome = { status: 'finished'; result: RunResult } | { status: 'failed' | 'cancelled'; error: RunFailure };

/** Where a run's output goes. Calls for one run never overlap and come in order. */
export interface RunSink {
  /** Every run event; the scheduler adds a `failed` event when the worker could not send one. */
  event(event: RunEvent): void | Promise<void>;
  /** Stores a checkpoint; the worker waits for this before it trains on. */
  checkpoint(completed: number, checkpoint: PackedState): Promise<void>;
  /** Once, when the run is over and its worker has exited. */
  done(outcome: RunOutcome): void | Promise<void>;
}

export interface RunJob {
  runId: string;
  request: WorkerRunRequest;
  sink: RunSink;
}

/** A run's place in the scheduler. */
export type ScheduledState = { status: 'queued'; position: number } | { status: 'running'; pid: number | undefined; cancelling: boolean };

/** What changed, for listeners (the service turns it into `run.status` events). */
export interface SchedulerChange {
  runId: string;
  state: ScheduledState | { status: 'done'; outcome: RunOutcome };
}

export interface SchedulerOptions {
  launcher: WorkerLauncher;
  concurrency: number;
  /**
   * How long a cancelled run may take to stop by itself before its worker is killed (default 3 s).
   * A worker training on a CPU backend rarely reads its messages mid-experience (each step's
   * promises resolve without a turn of the event loop), so cancelling usually ends in the kill;
   * nothing is lost by it: checkpoints and logs are the parent's, written atomically.
   */
  cancelGraceMs?: number;
  /** How long a worker may take to exit after its result (default 5 s). */
  exitGraceMs?: number;
}

interface Active {
  job: RunJob;
  handle: WorkerHandle;
  slot: number;
  cancelling: boolean;
  /** Whether the worker sent a terminal (`finished` or `failed`) event. */
  terminalEvent: boolean;
  outcome?: RunOutcome;
  /** Keeps sink calls in order. */
  chain: Promise<void>;
  killTimer?: NodeJS.Timeout;
}

export class RunScheduler {
  private readonly queue: RunJob[] = [];
  private readonly active = new Map<string, Active>();
  private readonly listeners = new Set<(change: SchedulerChange) => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private concurrencyValue: number;
  private closed = false;

  constructor(private readonly options: SchedulerOptions) {
    this.concurrencyValue = Math.max(1, Math.floor(options.concurrency));
  }

  get concurrency(): number {
    return this.concurrencyValue;
  }

  get running(): number {
    return this.active.size;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Adds a run at the end of the queue. */
  enqueue(job: RunJob): void {
    if (this.closed) throw new WorkbenchError('INTERNAL', 'The scheduler is shut down');
    if (this.has(job.runId)) throw new WorkbenchError('IO', `Run ${job.runId} is already queued or running`, { runId: job.runId, conflict: true });
    this.queue.push(job);
    this.emit({ runId: job.runId, state: { status: 'queued', position: this.queue.length - 1 } });
    this.pump();
  }

  has(runId: string): boolean {
    return this.active.has(runId) || this.queue.some((job) => job.runId === runId);
  }

  state(runId: string): ScheduledState | undefined {
    const running = this.active.get(runId);
    if (running) return { status: 'running', pid: running.handle.pid, cancelling: running.cancelling };
    const position = this.queue.findIndex((job) => job.runId === runId);
    return position >= 0 ? { status: 'queued', position } : undefined;
  }

  /** Queued and running run ids, running first, then in queue order. */
  list(): string[] {
    return [...this.active.keys(), ...this.queue.map((job) => job.runId)];
  }

  /**
   * Cancels a run: a queued one leaves the queue (its sink gets `done` cancelled at once);
   * a running one is asked to stop and killed if it has not within the grace period.
   * False when the scheduler does not hold the run.
   */
  cancel(runId: string): boolean {
    const position = this.queue.findIndex((job) => job.runId === runId);
    if (position >= 0) {
      const [job] = this.queue.splice(position, 1);
      const error: RunFailure = { code: 'CANCELLED', message: 'The run was cancelled before it started' };
      void (async () => {
        await job.sink.event(failedEvent(runId, 'CANCELLED', error.message));
        await job.sink.done({ status: 'cancelled', error });
      })()
        .catch((failure: unknown) => console.error(`[run ${runId}] storing the cancellation failed:`, failure))
        .finally(() => {
          this.emit({ runId, state: { status: 'done', outcome: { status: 'cancelled', error } } });
          this.reindex();
          this.checkIdle();
        });
      return true;
    }
    const running = this.active.get(runId);
    if (!running) return false;
    if (!running.cancelling) {
      running.cancelling = true;
      running.handle.send({ type: 'cancel' });
      this.armKill(running, this.options.cancelGraceMs ?? 3_000);
      this.emit({ runId, state: { status: 'running', pid: running.handle.pid, cancelling: true } });
    }
    return true;
  }

  /** Changes how many runs train at once; extra running runs finish, queued ones wait. */
  setConcurrency(concurrency: number): void {
    this.concurrencyValue = Math.max(1, Math.floor(concurrency));
    this.pump();
  }

  onChange(listener: (change: SchedulerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.active.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops everything at once, as when the app closes: queued runs are dropped and running
   * workers killed, with nothing written. Their runs stay `interrupted` on disk and are
   * offered for resume from their last checkpoint when the project is opened again.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    const exits = [...this.active.values()].map(
      (active) =>
        new Promise<void>((resolve) => {
          active.handle.onExit(() => resolve());
          active.handle.kill();
        }),
    );
    await Promise.all(exits);
    this.active.clear();
    this.checkIdle();
  }

  private emit(change: SchedulerChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        console.error('scheduler listener failed:', error);
      }
    }
  }

  /** Tells queued runs their new positions. */
  private reindex(): void {
    this.queue.forEach((job, position) => this.emit({ runId: job.runId, state: { status: 'queued', position } }));
  }

  private checkIdle(): void {
    if (this.active.size > 0 || this.queue.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private freeSlot(): number {
    const used = new Set([...this.active.values()].map((active) => active.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    return slot;
  }

  private pump(): void {
    let started = false;
    while (!this.closed && this.active.size < this.concurrencyValue && this.queue.length > 0) {
      const job = this.queue.shift() as RunJob;
      this.start(job);
      started = true;
    }
    if (started) this.reindex();
  }

  private start(job: RunJob): void {
    const slot = this.freeSlot();
    let handle: WorkerHandle;
    try {
      handle = this.options.launcher({ runId: job.runId, slot });
    } catch (error) {
      handle = deadHandle((error as Error).message);
    }
    const active: Active = { job, handle, slot, cancelling: false, terminalEvent: false, chain: Promise.resolve() };
    this.active.set(job.runId, active);
    this.emit({ runId: job.runId, state: { status: 'running', pid: handle.pid, cancelling: false } });
    handle.onMessage((message) => this.onMessage(active, message));
    handle.onExit((exit) => this.onExit(active, exit));
  }

  /** Runs `step` after the run's earlier sink calls; a sink failure is logged, never thrown. */
  private then(active: Active, step: () => unknown): Promise<void> {
    active.chain = active.chain.then(step).then(
      () => undefined,
      (error: unknown) => console.error(`[run ${active.job.runId}] storing run output failed:`, error),
    );
    return active.chain;
  }

  private onMessage(active: Active, message: FromWorker): void {
    if (this.closed) return;
    const { job, handle } = active;
    switch (message.type) {
      case 'ready':
        handle.send({ type: 'start', request: job.request });
        return;
      case 'event':
        if (message.event.type === 'finished' || message.event.type === 'failed') active.terminalEvent = true;
        void this.then(active, () => job.sink.event(message.event));
        return;
      case 'checkpoint':
        active.chain = active.chain
          .then(() => job.sink.checkpoint(message.completed, message.checkpoint))
          .then(
            () => handle.send({ type: 'checkpoint-saved', completed: message.completed }),
            (error: unknown) => {
              const failure = error instanceof WorkbenchError ? error.toJSON() : { code: 'IO' as const, message: (error as Error).message };
              handle.send({ type: 'checkpoint-failed', completed: message.completed, error: failure });
            },
          );
        return;
      case 'result':
        active.outcome = { status: 'finished', result: message.result };
        this.release(active);
        return;
      case 'error': {
        const cancelled = message.error.code === 'CANCELLED';
        const error: RunFailure = { code: message.error.code, message: message.error.message, ...(message.error.details ? { details: message.error.details } : {}) };
        active.outcome = { status: cancelled ? 'cancelled' : 'failed', error };
        if (!active.terminalEvent) {
          active.terminalEvent = true;
          const event = failedEvent(job.runId, message.error.code, message.error.message, message.error.details);
          void this.then(active, () => job.sink.event(event));
        }
        this.release(active);
        return;
      }
      case 'probe-result':
        return;
    }
  }

  /** The run is over: ask the worker to exit, and make sure it does. */
  private release(active: Active): void {
    active.handle.send({ type: 'shutdown' });
    this.armKill(active, this.options.exitGraceMs ?? 5_000);
  }

  private armKill(active: Active, ms: number): void {
    clearTimeout(active.killTimer);
    active.killTimer = setTimeout(() => active.handle.kill(), ms);
    active.killTimer.unref?.();
  }

  private onExit(active: Active, exit: WorkerExit): void {
    clearTimeout(active.killTimer);
    if (this.closed || this.active.get(active.job.runId) !== active) return;
    const { job } = active;
    let outcome = active.outcome;
    if (!outcome) {
      if (active.cancelling) {
        outcome = { status: 'cancelled', error: { code: 'CANCELLED', message: 'The run was cancelled (its worker was stopped)' } };
      } else {
        const { reason, message } = classifyExit(exit);
        outcome = { status: 'failed', error: { code: 'WORKER_EXITED', message, reason, details: { exitCode: exit.code, signal: exit.signal } } };
      }
      if (!active.terminalEvent) {
        const error = outcome.error;
        const reason: WorkerExitReason | undefined = error.reason;
        // The event log speaks the engine's error codes; the exit reason travels in details.
        const event = failedEvent(job.runId, error.code === 'CANCELLED' ? 'CANCELLED' : 'INTERNAL', error.message, reason ? { workerExit: { reason, exitCode: exit.code, signal: exit.signal } } : undefined);
        void this.then(active, () => job.sink.event(event));
      }
    }
    const final = outcome;
    void this.then(active, () => job.sink.done(final)).then(() => {
      this.active.delete(job.runId);
      this.emit({ runId: job.runId, state: { status: 'done', outcome: final } });
      this.pump();
      this.checkIdle();
    });
  }
}

function failedEvent(runId: string, code: ErrorCode, message: string, details?: Record<string, unknown>): RunEvent {
  return { runId, time: new Date().toISOString(), type: 'failed', error: { code, message, ...(details ? { details } : {}) } };
}

/** A handle for a worker that could not be launched: it "exits" at once with launch-failed. */
function deadHandle(reason: string): WorkerHandle {
  return {
    pid: undefined,
    send: () => undefined,
    onMessage: () => undefined,
    onExit: (listener) => queueMicrotask(() => listener({ code: null, signal: null, hostReason: 'launch-failed', stderrTail: reason })),
    kill: () => undefined,
  };
}
