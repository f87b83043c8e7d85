// The run scheduler: queue order, concurrency, cancel, worker death, checkpoints and resume.
// Workers here are in-process fakes that speak the worker protocol, so every timing is
// under the test's control; worker.test.ts runs the same scheduler with real processes.
import { describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../main/engine/run/events.ts';
import type { RunResult } from '../../main/engine/run/result.ts';
import { RunScheduler, type RunOutcome, type RunSink } from '../../main/workbench/scheduler/scheduler.ts';
import { classifyExit, type LaunchOptions, type WorkerExit, type WorkerHandle } from '../../main/workbench/scheduler/worker-host.ts';
import type { FromWorker, PackedState, ToWorker, WorkerRunRequest } from '../../main/worker/protocol.ts';

let nextPid = 1000;

/** A worker that does what the test tells it to. */
class FakeWorker implements WorkerHandle {
  readonly pid = nextPid++;
  readonly sent: ToWorker[] = [];
  killed = false;
  exited = false;
  private readonly messageListeners: ((message: FromWorker) => void)[] = [];
  private readonly exitListeners: ((exit: WorkerExit) => void)[] = [];
  /** When true, a `cancel` is ignored (a worker stuck in a long kernel). */
  ignoreCancel = false;

  constructor(readonly options: LaunchOptions) {
    setTimeout(() => this.emit({ type: 'ready', pid: this.pid }), 0);
  }

  get runId(): string {
    return this.options.runId;
  }

  get request(): WorkerRunRequest | undefined {
    const start = this.sent.find((message) => message.type === 'start');
    return start?.type === 'start' ? start.request : undefined;
  }

  send(message: ToWorker): void {
    this.sent.push(message);
    if (message.type === 'shutdown') setTimeout(() => this.exit({ code: 0, signal: null, stderrTail: '' }), 0);
    if (message.type === 'cancel' && !this.ignoreCancel) {
      setTimeout(() => {
        this.event({ type: 'failed', error: { code: 'CANCELLED', message: 'The run was cancelled' } });
        this.emit({ type: 'error', error: { code: 'CANCELLED', message: 'The run was cancelled' } });
      }, 0);
    }
  }

  onMessage(listener: (message: FromWorker) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (exit: WorkerExit) => void): void {
    this.exitListeners.push(listener);
  }

  kill(): void {
    this.killed = true;
    setTimeout(() => this.exit({ code: null, signal: 'SIGKILL', stderrTail: '' }), 0);
  }

  emit(message: FromWorker): void {
    for (const listener of this.messageListeners) listener(message);
  }

  event(body: Record<string, unknown>): void {
    this.emit({ type: 'event', event: { runId: this.runId, time: new Date().toISOString(), ...body } as RunEvent });
  }

  /** Trains "successfully": started, finished, result. */
  succeed(): void {
    this.event({ type: 'started', strategy: 'naive', label: 'Naive', seed: 0, backend: 'cpu', device: 'CPU', experiences: 1 });
    this.event({ type: 'finished', metrics: { acc: 0.5, bwt: null, fwt: null, forgetting: null, averageIncrementalAccuracy: 0.5, forgettingPerExperience: [null] } });
    this.emit({ type: 'result', result: { id: this.runId, metrics: { acc: 0.5 } } as unknown as RunResult });
  }

  exit(exit: WorkerExit): void {
    if (this.exited) return;
    this.exited = true;
    for (const listener of this.exitListeners) listener(exit);
  }
}

function fakeLauncher() {
  const workers: FakeWorker[] = [];
  const launcher = (options: LaunchOptions) => {
    const worker = new FakeWorker(options);
    workers.push(worker);
    return worker;
  };
  const worker = (runId: string) => workers.find((w) => w.runId === runId);
  return { workers, launcher, worker };
}

/** A sink that records every call, and a promise for the outcome. */
function recorder(runId: string) {
  const calls: string[] = [];
  const events: RunEvent[] = [];
  const checkpoints: number[] = [];
  let resolveDone: (outcome: RunOutcome) => void = () => undefined;
  const done = new Promise<RunOutcome>((resolve) => (resolveDone = resolve));
  const sink: RunSink = {
    event: (event) => {
      calls.push(`event:${event.type}`);
      events.push(event);
    },
    checkpoint: async (completed) => {
      calls.push(`checkpoint:${completed}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      checkpoints.push(completed);
    },
    done: (outcome) => {
      calls.push(`done:${outcome.status}`);
      resolveDone(outcome);
    },
  };
  const request = { runId, spec: {}, strategyIndex: 0, label: runId, seed: 0, backend: 'cpu', dataDir: '/tmp' } as unknown as WorkerRunRequest;
  return { job: { runId, request, sink }, calls, events, checkpoints, done };
}

describe('RunScheduler', () => {
  it('starts runs in queue order and never more than `concurrency` at once', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 2 });
    const runs = ['a', 'b', 'c', 'd', 'e'].map(recorder);
    let peak = 0;
    scheduler.onChange(() => (peak = Math.max(peak, scheduler.running)));
    for (const run of runs) scheduler.enqueue(run.job);
    expect(scheduler.running).toBe(2);
    expect(scheduler.queued).toBe(3);
    expect(scheduler.state('c')).toEqual({ status: 'queued', position: 0 });
    expect(scheduler.state('e')).toEqual({ status: 'queued', position: 2 });
    // Finish whichever is running, one at a time, until all are done.
    while (fake.workers.some((w) => !w.exited)) {
      await vi.waitFor(() => expect(fake.workers.find((w) => !w.exited && w.request)).toBeDefined());
      fake.workers.find((w) => !w.exited && w.request)?.succeed();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await scheduler.idle();
    expect(fake.workers.map((w) => w.runId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(peak).toBeLessThanOrEqual(2);
    for (const run of runs) {
      expect((await run.done).status).toBe('finished');
      expect(run.calls).toEqual(['event:started', 'event:finished', 'done:finished']);
    }
    // Two slots, each reused: GPU index k for slot k.
    expect(new Set(fake.workers.map((w) => w.options.slot))).toEqual(new Set([0, 1]));
  });

  it('raises concurrency on the fly and starts waiting runs', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 1 });
    for (const id of ['a', 'b', 'c']) scheduler.enqueue(recorder(id).job);
    expect(scheduler.running).toBe(1);
    scheduler.setConcurrency(3);
    expect(scheduler.running).toBe(3);
    await scheduler.shutdown();
  });

  it('cancels a queued run without launching it', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 1 });
    const first = recorder('first');
    const second = recorder('second');
    scheduler.enqueue(first.job);
    scheduler.enqueue(second.job);
    expect(scheduler.cancel('second')).toBe(true);
    const outcome = await second.done;
    expect(outcome).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(second.events.map((e) => e.type)).toEqual(['failed']);
    expect(fake.worker('second')).toBeUndefined();
    expect(scheduler.has('second')).toBe(false);
    expect(scheduler.cancel('nope')).toBe(false);
    await vi.waitFor(() => expect(fake.worker('first')?.request).toBeDefined());
    fake.worker('first')?.succeed();
    await scheduler.idle();
    expect((await first.done).status).toBe('finished');
  });

  it('cancels a running run: the worker stops itself, or is killed after the grace period', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 2, cancelGraceMs: 50 });
    const polite = recorder('polite');
    const stuck = recorder('stuck');
    scheduler.enqueue(polite.job);
    scheduler.enqueue(stuck.job);
    await vi.waitFor(() => expect(fake.worker('stuck')?.request).toBeDefined());
    fake.worker('stuck')!.ignoreCancel = true;
    scheduler.cancel('polite');
    scheduler.cancel('stuck');
    expect(scheduler.state('polite')).toMatchObject({ status: 'running', cancelling: true });
    expect(await polite.done).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(fake.worker('polite')!.killed).toBe(false);
    expect(await stuck.done).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(fake.worker('stuck')!.killed).toBe(true);
    // Both logs end with a failed/CANCELLED event, whether the worker wrote it or not.
    expect(polite.events.at(-1)).toMatchObject({ type: 'failed', error: { code: 'CANCELLED' } });
    expect(stuck.events.at(-1)).toMatchObject({ type: 'failed', error: { code: 'CANCELLED' } });
  });

  it('a worker that dies fails its run with the reason; the other runs go on', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 2 });
    const crash = recorder('crash');
    const oom = recorder('oom');
    const killed = recorder('killed');
    const healthy = recorder('healthy');
    for (const run of [crash, oom, killed, healthy]) scheduler.enqueue(run.job);
    await vi.waitFor(() => expect(fake.worker('oom')?.request).toBeDefined());
    fake.worker('crash')!.event({ type: 'started', strategy: 'naive', label: 'x', seed: 0, backend: 'cpu', device: 'CPU', experiences: 2 });
    fake.worker('crash')!.exit({ code: 134, signal: null, stderrTail: 'Error: something native broke\n' });
    fake.worker('oom')!.exit({ code: null, signal: 'SIGABRT', stderrTail: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n' });
    await vi.waitFor(() => expect(fake.worker('killed')?.request).toBeDefined());
    await vi.waitFor(() => expect(fake.worker('healthy')?.request).toBeDefined());
    fake.worker('killed')!.exit({ code: null, signal: 'SIGKILL', stderrTail: '' });
    fake.worker('healthy')!.succeed();

    expect(await crash.done).toMatchObject({ status: 'failed', error: { code: 'WORKER_EXITED', reason: 'crash' } });
    expect(((await crash.done) as { error: { message: string } }).error.message).toMatch(/crashed \(exit code 134\).*something native broke/);
    expect(await oom.done).toMatchObject({ status: 'failed', error: { code: 'WORKER_EXITED', reason: 'oom' } });
    expect(await killed.done).toMatchObject({ status: 'failed', error: { code: 'WORKER_EXITED', reason: 'killed' } });
    expect(await healthy.done).toMatchObject({ status: 'finished' });
    // The log of a dead worker's run ends with a failed event carrying the exit reason.
    expect(crash.events.map((e) => e.type)).toEqual(['started', 'failed']);
    expect(crash.events.at(-1)).toMatchObject({ type: 'failed', error: { code: 'INTERNAL', details: { workerExit: { reason: 'crash', exitCode: 134 } } } });
    expect(oom.events.at(-1)).toMatchObject({ error: { details: { workerExit: { reason: 'oom' } } } });
    await scheduler.idle();
  });

  it('a run that fails inside the worker is failed with its error, not as a crash', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 1 });
    const run = recorder('bad-data');
    scheduler.enqueue(run.job);
    await vi.waitFor(() => expect(fake.worker('bad-data')?.request).toBeDefined());
    fake.worker('bad-data')!.emit({ type: 'error', error: { code: 'DATASET_MISSING', message: 'MNIST files not found in /x', details: { path: '/x' } } });
    expect(await run.done).toMatchObject({ status: 'failed', error: { code: 'DATASET_MISSING', message: 'MNIST files not found in /x' } });
    // The worker had no run to emit a failed event from: the scheduler logs one.
    expect(run.events).toMatchObject([{ type: 'failed', error: { code: 'DATASET_MISSING' } }]);
    expect(fake.worker('bad-data')!.sent.map((m) => m.type)).toEqual(['start', 'shutdown']);
  });

  it('stores each checkpoint before telling the worker to go on, in order with the events', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 1 });
    const run = recorder('ckpt');
    scheduler.enqueue(run.job);
    await vi.waitFor(() => expect(fake.worker('ckpt')?.request).toBeDefined());
    const worker = fake.worker('ckpt')!;
    const checkpoint: PackedState = { manifest: { completed: 1 }, blob: new Uint8Array([1, 2, 3]) };
    worker.event({ type: 'evaluation', experience: 0, accuracies: [1] });
    worker.emit({ type: 'checkpoint', completed: 1, checkpoint });
    worker.event({ type: 'checkpoint', experience: 0 });
    await vi.waitFor(() => expect(worker.sent.some((m) => m.type === 'checkpoint-saved')).toBe(true));
    expect(run.checkpoints).toEqual([1]);
    expect(worker.sent.find((m) => m.type === 'checkpoint-saved')).toEqual({ type: 'checkpoint-saved', completed: 1 });
    worker.succeed();
    await run.done;
    expect(run.calls).toEqual(['event:evaluation', 'checkpoint:1', 'event:checkpoint', 'event:started', 'event:finished', 'done:finished']);
  });

  it('a resumed run hands its checkpoint to the new worker', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 1 });
    const run = recorder('again');
    const resumeFrom: PackedState = { manifest: { completed: 2 }, blob: new Uint8Array([9]) };
    scheduler.enqueue({ ...run.job, request: { ...run.job.request, resumeFrom } });
    await vi.waitFor(() => expect(fake.worker('again')?.request).toBeDefined());
    expect(fake.worker('again')!.request!.resumeFrom).toEqual(resumeFrom);
    fake.worker('again')!.succeed();
    expect((await run.done).status).toBe('finished');
  });

  it('refuses a run id that is already queued; shutdown kills workers and reports nothing', async () => {
    const fake = fakeLauncher();
    const scheduler = new RunScheduler({ launcher: fake.launcher, concurrency: 1 });
    const running = recorder('one');
    const waiting = recorder('two');
    scheduler.enqueue(running.job);
    scheduler.enqueue(waiting.job);
    expect(() => scheduler.enqueue(recorder('two').job)).toThrow(/already queued or running/);
    await vi.waitFor(() => expect(fake.worker('one')?.request).toBeDefined());
    await scheduler.shutdown();
    expect(fake.worker('one')!.killed).toBe(true);
    // Interrupted, not failed: their runs stay resumable on disk.
    expect(running.calls).toEqual([]);
    expect(waiting.calls).toEqual([]);
    expect(() => scheduler.enqueue(recorder('three').job)).toThrow(/shut down/);
  });

  it('a launcher that throws fails the run with launch-failed', async () => {
    const scheduler = new RunScheduler({
      launcher: () => {
        throw new Error('spawn ENOENT');
      },
      concurrency: 1,
    });
    const run = recorder('nolaunch');
    scheduler.enqueue(run.job);
    expect(await run.done).toMatchObject({ status: 'failed', error: { code: 'WORKER_EXITED', reason: 'launch-failed' } });
  });
});

describe('classifyExit', () => {
  const exit = (partial: Partial<WorkerExit>): WorkerExit => ({ code: null, signal: null, stderrTail: '', ...partial });

  it('tells out-of-memory, killed, crashed and launch failures apart', () => {
    expect(classifyExit(exit({ signal: 'SIGABRT', stderrTail: 'FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory' })).reason).toBe('oom');
    expect(classifyExit(exit({ code: 1, stderrTail: 'W tensorflow: OOM when allocating tensor with shape[4096,4096]' })).reason).toBe('oom');
    expect(classifyExit(exit({ code: 1, stderrTail: 'CUDA_ERROR_OUT_OF_MEMORY: out of memory' })).reason).toBe('oom');
    expect(classifyExit(exit({ code: 137, hostReason: 'oom' })).reason).toBe('oom');
    expect(classifyExit(exit({ signal: 'SIGKILL' }))).toMatchObject({ reason: 'killed', message: expect.stringMatching(/killed.*memory/) });
    expect(classifyExit(exit({ signal: 'SIGTERM' })).reason).toBe('killed');
    expect(classifyExit(exit({ code: 3, hostReason: 'killed' })).reason).toBe('killed');
    expect(classifyExit(exit({ code: 1, stderrTail: 'TypeError: x is not a function\n    at y\n' }))).toMatchObject({ reason: 'crash', message: expect.stringContaining('at y') });
    expect(classifyExit(exit({ signal: 'SIGSEGV' })).reason).toBe('crash');
    expect(classifyExit(exit({ hostReason: 'launch-failed', stderrTail: 'spawn ENOENT' })).reason).toBe('launch-failed');
  });
});
