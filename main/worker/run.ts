/**
 * What a run worker does with its messages: run one strategy x one seed with the
 * engine, stream its events, hand each checkpoint to the parent and wait until it
 * is stored, then report the result (or the error). Storage is the parent's.
 */
import {
  executeRun,
  initBackend,
  loadDataset,
  packState,
  unpackState,
  WorkbenchError,
  type RunCheckpoint,
  type StateTree,
} from '../engine/index.ts';
import { probeBackends } from '../engine/backend/index.ts';
import type { ParentPort } from './port.ts';
import type { ToWorker, WorkerError, WorkerRunRequest } from './protocol.ts';

function toWorkerError(error: unknown): WorkerError {
  if (error instanceof WorkbenchError) return error.toJSON();
  const cause = error instanceof Error ? error : new Error(String(error));
  return { code: 'INTERNAL', message: cause.message, details: { stack: cause.stack } };
}

/** Installs the message handler on `port` and says ready. */
export function serveParent(port: ParentPort, exit: (code: number) => void = (code) => process.exit(code)): void {
  const controller = new AbortController();
  let started = false;
  let pendingCheckpoint: { completed: number; resolve: () => void; reject: (error: Error) => void } | undefined;

  const cancelled = () => new WorkbenchError('CANCELLED', 'The run was cancelled');

  async function run(request: WorkerRunRequest): Promise<void> {
    const { signal } = controller;
    try {
      const backend = await initBackend(request.backend);
      if (signal.aborted) throw cancelled();
      const dataset = await loadDataset(request.spec.dataset.id, {
        cacheDir: request.dataDir,
        ...(request.spec.dataset.path ? { path: request.spec.dataset.path } : {}),
        allowDownload: false,
        signal,
      });
      if (signal.aborted) throw cancelled();
      let resumeFrom: RunCheckpoint | undefined;
      if (request.resumeFrom) {
        try {
          resumeFrom = unpackState(request.resumeFrom.manifest, request.resumeFrom.blob) as unknown as RunCheckpoint;
        } catch (error) {
          throw new WorkbenchError('CHECKPOINT_INVALID', `The checkpoint of ${request.runId} is corrupt: ${(error as Error).message}`);
        }
      }
      const result = await executeRun({
        runId: request.runId,
        spec: request.spec,
        strategyIndex: request.strategyIndex,
        label: request.label,
        seed: request.seed,
        dataset,
        backend,
        ...(resumeFrom ? { resumeFrom } : {}),
        signal,
        onEvent: (event) => port.send({ type: 'event', event }),
        onCheckpoint: (checkpoint) =>
          new Promise<void>((resolve, reject) => {
            if (signal.aborted) return reject(cancelled());
            pendingCheckpoint = { completed: checkpoint.completed, resolve, reject };
            port.send({ type: 'checkpoint', completed: checkpoint.completed, checkpoint: packState(checkpoint as unknown as StateTree) });
          }),
      });
      port.send({ type: 'result', result });
    } catch (error) {
      port.send({ type: 'error', error: toWorkerError(error) });
    }
  }

  async function probe(backendName: Parameters<typeof initBackend>[0]): Promise<void> {
    const backends = await probeBackends();
    try {
      const backend = await initBackend(backendName);
      port.send({ type: 'probe-result', backend, backends });
    } catch (error) {
      port.send({ type: 'probe-result', backend: null, backends, error: toWorkerError(error) });
    }
  }

  port.onMessage((message: ToWorker) => {
    switch (message.type) {
      case 'start':
      case 'probe':
        if (started) {
          port.send({ type: 'error', error: { code: 'INTERNAL', message: 'This worker already has a job; each run gets its own process.' } });
          return;
        }
        started = true;
        void (message.type === 'start' ? run(message.request) : probe(message.backend));
        return;
      case 'cancel':
        controller.abort();
        pendingCheckpoint?.reject(cancelled());
        pendingCheckpoint = undefined;
        return;
      case 'checkpoint-saved':
        if (pendingCheckpoint?.completed === message.completed) pendingCheckpoint.resolve();
        pendingCheckpoint = undefined;
        return;
      case 'checkpoint-failed':
        pendingCheckpoint?.reject(new WorkbenchError(message.error.code, message.error.message, message.error.details));
        pendingCheckpoint = undefined;
        return;
      case 'shutdown':
        exit(0);
        return;
    }
  });
  port.send({ type: 'ready', pid: process.pid });
}
