// Real run workers: child_process.fork of main/worker/index.ts through tsx, driven by the
// scheduler and by the service. Training is tiny (the 8x8 synthetic dataset).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateExperiment, validationCatalogue, type ExperimentSpec, type RunEvent } from '../../main/engine/index.ts';
import { WorkbenchService } from '../../main/workbench/api/service.ts';
import type { ApiEvent, RunSummary } from '../../main/workbench/api/contract.ts';
import { loadCheckpoint, saveCheckpoint } from '../../main/workbench/experiment-run.ts';
import { ProjectStore } from '../../main/workbench/projects/index.ts';
import { forkLauncher } from '../../main/workbench/scheduler/fork-launcher.ts';
import { RunScheduler, type RunOutcome, type RunSink } from '../../main/workbench/scheduler/scheduler.ts';
import type { WorkerLauncher } from '../../main/workbench/scheduler/worker-host.ts';
import type { PackedState, WorkerRunRequest } from '../../main/worker/protocol.ts';

let dir: string;
const quiet = () => undefined;

function tinySpec(partial: Record<string, unknown> = {}): ExperimentSpec {
  return validateExperiment(
    {
      schemaVersion: 1,
      name: 'worker test',
      dataset: { id: 'synthetic' },
      scenario: { type: 'class-incremental', experiences: 2 },
      model: { type: 'mlp', hidden: [16] },
      training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 0.003 } },
      strategies: [{ id: 'naive' }],
      seeds: [0],
      ...partial,
    },
    validationCatalogue(),
  );
}

/** A run long enough to interrupt: thousands of small steps. */
const slowTraining = { iterations: 4000, batchSize: 8, optimizer: { type: 'sgd', lr: 0.01 } };

function request(runId: string, spec: ExperimentSpec, resumeFrom?: PackedState): WorkerRunRequest {
  return { runId, spec, strategyIndex: 0, label: 'Naive', seed: 0, backend: 'wasm', dataDir: path.join(dir, 'data'), ...(resumeFrom ? { resumeFrom } : {}) };
}

function recorder(checkpointDir?: string) {
  const events: RunEvent[] = [];
  let resolve: (outcome: RunOutcome) => void = () => undefined;
  const done = new Promise<RunOutcome>((r) => (resolve = r));
  const sink: RunSink = {
    event: (event) => void events.push(event),
    checkpoint: async (_completed, checkpoint) => {
      if (checkpointDir) await saveCheckpoint(checkpointDir, checkpoint);
    },
    done: (outcome) => resolve(outcome),
  };
  return { sink, events, done };
}

/** Worker scripts that die in particular ways, speaking just enough protocol to be started. */
async function scriptLauncher(name: string, body: string, execArgv: string[] = []): Promise<WorkerLauncher> {
  const file = path.join(dir, `${name}.mjs`);
  await writeFile(file, `process.on('message', (m) => { if (m.type === 'start') { ${body} } });\nprocess.send({ type: 'ready', pid: process.pid });\n`);
  return forkLauncher({ entry: file, execArgv, log: quiet });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clwb-worker-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('run worker (child process)', () => {
  it('runs one strategy x seed: streams events, hands over checkpoints, returns the result; a crashing neighbour does not stop it', async () => {
    const real = forkLauncher({ log: quiet });
    const crash = await scriptLauncher('crash', 'setTimeout(() => process.abort(), 50);');
    const scheduler = new RunScheduler({ launcher: (options) => (options.runId === 'crasher' ? crash : real)(options), concurrency: 2 });
    const good = recorder(path.join(dir, 'good-checkpoint'));
    const bad = recorder();
    let checkpoints = 0;
    const countingSink = { ...good.sink, checkpoint: async (completed: number, packed: PackedState) => (checkpoints++, good.sink.checkpoint(completed, packed)) };
    scheduler.enqueue({ runId: 'good', request: request('good', tinySpec()), sink: countingSink });
    scheduler.enqueue({ runId: 'crasher', request: request('crasher', tinySpec()), sink: bad.sink });
    const badOutcome = await bad.done;
    expect(badOutcome).toMatchObject({ status: 'failed', error: { code: 'WORKER_EXITED', reason: 'crash' } });
    const outcome = await good.done;
    expect(outcome.status).toBe('finished');
    if (outcome.status !== 'finished') return;
    expect(outcome.result).toMatchObject({ id: 'good', backend: 'wasm', strategy: 'naive' });
    expect(outcome.result.accuracyMatrix).toHaveLength(2);
    const types = good.events.map((event) => event.type);
    expect(types[0]).toBe('started');
    expect(types).toContain('progress');
    expect(types.filter((type) => type === 'evaluation')).toHaveLength(2);
    expect(types.at(-1)).toBe('finished');
    // A checkpoint after experience 1 of 2 crossed the process boundary with its typed arrays intact.
    expect(checkpoints).toBe(1);
    const checkpoint = await loadCheckpoint(path.join(dir, 'good-checkpoint'));
    expect(checkpoint).toMatchObject({ runId: 'good', completed: 1 });
    await scheduler.idle();
  });

  it('out of memory and killed workers fail their runs with those reasons', async () => {
    const oom = await scriptLauncher('oom', 'const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random()));', ['--max-old-space-size=24']);
    const real = forkLauncher({ log: quiet });
    const scheduler = new RunScheduler({ launcher: (options) => (options.runId === 'oom' ? oom : real)(options), concurrency: 2 });
    const hungry = recorder();
    const victim = recorder();
    scheduler.enqueue({ runId: 'oom', request: request('oom', tinySpec()), sink: hungry.sink });
    scheduler.enqueue({ runId: 'victim', request: request('victim', tinySpec({ training: slowTraining })), sink: victim.sink });
    expect(await hungry.done).toMatchObject({ status: 'failed', error: { code: 'WORKER_EXITED', reason: 'oom', message: expect.stringMatching(/out of memory/) } });
    await vi.waitFor(() => expect(victim.events.some((event) => event.type === 'progress')).toBe(true), { timeout: 60_000, interval: 50 });
    const state = scheduler.state('victim');
    expect(state?.status).toBe('running');
    process.kill((state as { pid: number }).pid, 'SIGKILL');
    expect(await victim.done).toMatchObject({ status: 'failed', error: { code: 'WORKER_EXITED', reason: 'killed' } });
    expect(victim.events.at(-1)).toMatchObject({ type: 'failed', error: { details: { workerExit: { reason: 'killed', signal: 'SIGKILL' } } } });
  });

  it('cancels a running run within the grace period, keeping its log whole', async () => {
    const scheduler = new RunScheduler({ launcher: forkLauncher({ log: quiet }), concurrency: 1, cancelGraceMs: 1_000 });
    const run = recorder();
    scheduler.enqueue({ runId: 'cancel-me', request: request('cancel-me', tinySpec({ training: slowTraining })), sink: run.sink });
    await vi.waitFor(() => expect(run.events.some((event) => event.type === 'progress')).toBe(true), { timeout: 60_000, interval: 50 });
    const started = Date.now();
    scheduler.cancel('cancel-me');
    expect(await run.done).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    // On the wasm backend the worker only reads its messages between experiences, so the grace period ends it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.events.at(-1)).toMatchObject({ type: 'failed', error: { code: 'CANCELLED' } });
    expect(run.events.filter((event) => event.type === 'failed')).toHaveLength(1);
  });
});

describe('service with real workers', () => {
  it('reports the backend the workers use', async () => {
    const service = await WorkbenchService.create({ host: 'serve', userDataDir: path.join(dir, 'home-probe'), launcher: forkLauncher({ log: quiet }), backend: 'wasm', concurrency: 1 });
    const report = await service.call('backend.info', {});
    expect(report.tfjs).toMatchObject({ name: 'wasm', device: expect.stringContaining('wasm') });
    expect(report.backends.find((b) => b.name === 'cpu')).toMatchObject({ available: true });
    expect(report.memory.totalBytes).toBeGreaterThan(0);
    expect(report.scheduler).toMatchObject({ concurrency: 1, running: 0, queued: 0 });
    await service.close();
  });

  it('an interrupted run is offered for resume when the project is opened again, and resumes from its checkpoint', async () => {
    const projectDir = path.join(dir, 'resume-project');
    const store = await ProjectStore.create(projectDir, { name: 'Resume' });
    const spec = {
      schemaVersion: 1,
      name: 'resume',
      dataset: { id: 'synthetic' },
      scenario: { type: 'class-incremental', experiences: 5 },
      model: { type: 'mlp', hidden: [16] },
      training: { iterations: 150, batchSize: 16, optimizer: { type: 'sgd', lr: 0.05 } },
      strategies: [{ id: 'naive' }],
      seeds: [0],
    };
    await store.saveExperiment({ id: 'resume', name: 'Resume', spec });
    const options = { host: 'serve' as const, userDataDir: path.join(dir, 'home-resume'), launcher: forkLauncher({ log: quiet }), backend: 'wasm' as const, concurrency: 1 };

    const first = await WorkbenchService.create(options);
    await first.call('projects.open', { path: projectDir });
    const seen: ApiEvent[] = [];
    first.onEvent((event) => seen.push(event));
    const [queued] = await first.call('runs.start', { experimentId: 'resume' });
    expect(['queued', 'running']).toContain(queued.status);
    await vi.waitFor(() => expect(seen.some((e) => e.type === 'run.event' && e.event.type === 'checkpoint')).toBe(true), { timeout: 60_000, interval: 20 });
    // The app closes mid-run.
    await first.close();

    const second = await WorkbenchService.create(options);
    const state = await second.call('projects.open', { path: projectDir });
    expect(state.resumable).toEqual([queued.id]);
    const interrupted = state.runs.find((run) => run.id === queued.id) as RunSummary;
    expect(interrupted).toMatchObject({ status: 'interrupted', resumable: true });
    const completed = interrupted.checkpoint?.completed ?? 0;
    expect(completed).toBeGreaterThanOrEqual(1);

    const statuses: string[] = [];
    second.onEvent((event) => {
      if (event.type === 'run.status' && event.run.id === queued.id) statuses.push(event.run.status);
    });
    const resumed = await second.call('runs.resume', { runId: queued.id });
    expect(['queued', 'running']).toContain(resumed.status);
    await second.scheduler.idle();
    const [finished] = await second.call('runs.list', {});
    expect(finished).toMatchObject({ id: queued.id, status: 'finished', resumable: false, evaluations: 5 });
    expect(finished.checkpoint).toBeUndefined();
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('finished');

    const { events } = await second.call('runs.events', { runId: queued.id });
    const starts = events.filter((event) => event.type === 'started');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({ resumedFrom: completed });
    const results = await second.call('runs.results', { experimentId: 'resume' });
    expect(results.runs).toHaveLength(1);
    expect(results.runs[0].accuracyMatrix).toHaveLength(5);
    const stored = JSON.parse(await readFile(path.join(projectDir, 'runs', queued.id, 'result.json'), 'utf8'));
    expect(stored).toMatchObject({ schemaVersion: 1, kind: 'clwb-run-result', result: { id: queued.id } });
    await second.close();
  });
});
