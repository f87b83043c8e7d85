// The project store: atomic writes, torn event lines, corrupt files reported (never
// overwritten), schema versions and validation on load, and the sample project.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateExperiment, validationCatalogue, type RunEvent, type RunResult } from '../../main/engine/index.ts';
import { EventLog, writeFileAtomic, writeJsonAtomic } from '../../main/workbench/files.ts';
import { ProjectStore, RecentProjects, ensureSampleProject, projectResultsReader, SAMPLE_PROJECT_SOURCE, type RunRecord } from '../../main/workbench/projects/index.ts';
import { specHash } from '../../main/workbench/experiment-run.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clwb-store-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rawSpec = {
  schemaVersion: 1,
  name: 'store test',
  dataset: { id: 'synthetic' },
  scenario: { type: 'class-incremental', experiences: 2 },
  model: { type: 'mlp', hidden: [8] },
  training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 0.001 } },
  strategies: [{ id: 'naive' }],
  seeds: [0, 1],
};

function record(id: string, partial: Partial<RunRecord> = {}): RunRecord {
  const spec = validateExperiment(rawSpec, validationCatalogue());
  return {
    schemaVersion: 1,
    kind: 'clwb-run',
    id,
    experimentId: 'exp',
    experimentName: 'store test',
    strategyIndex: 0,
    strategy: 'naive',
    label: 'Naive (fine-tuning)',
    seed: 0,
    spec,
    specHash: specHash(spec),
    backend: 'auto',
    createdAt: new Date().toISOString(),
    ...partial,
  };
}

function event(runId: string, body: Record<string, unknown>): RunEvent {
  return { runId, time: new Date().toISOString(), ...body } as RunEvent;
}

function result(id: string, seed: number, acc: number): RunResult {
  const metrics = { acc, bwt: -0.1, fwt: 0, forgetting: 0.1, averageIncrementalAccuracy: acc, forgettingPerExperience: [0.1, null] };
  return {
    id,
    strategy: 'naive',
    label: 'Naive (fine-tuning)',
    name: 'Naive (fine-tuning)',
    params: {},
    seed,
    scenario: { type: 'class-incremental' },
    backend: 'wasm',
    device: 'CPU',
    accuracyMatrix: [[0.9, 0], [0.2, acc]],
    randomBaseline: [0.1, 0.1],
    metrics,
    perClassAccuracy: [],
    confusionMatrix: [],
    cost: { trainSeconds: 1, evalSeconds: 0, wallSeconds: 1, trainedSamples: 10, samplesPerSecond: 10, peakTensorBytes: 1, peakTensors: 1, parameters: 100, bufferSamples: 0, bufferBytes: 0, extraForwardSamples: 0, extraBackwardSamples: 0 },
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    versions: { app: '0.1.0', tfjs: '4.22.0' },
  };
}

describe('atomic writes', () => {
  it('replace a file in one rename and leave no temp files behind', async () => {
    const file = path.join(dir, 'a', 'doc.json');
    await writeJsonAtomic(file, { v: 1 });
    await writeJsonAtomic(file, { v: 2 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 2 });
    expect(await readdir(path.dirname(file))).toEqual(['doc.json']);
  });

  it('keep the old content when a write fails, and clean up the temp file', async () => {
    const file = path.join(dir, 'doc.json');
    await writeJsonAtomic(file, { v: 1 });
    // A folder in the way of the rename: the write fails after the temp file was written.
    const blocked = path.join(dir, 'blocked');
    await mkdir(path.join(blocked, 'inner'), { recursive: true });
    await expect(writeFileAtomic(blocked, 'x')).rejects.toMatchObject({ code: 'IO', details: { path: blocked } });
    expect((await readdir(dir)).sort()).toEqual(['blocked', 'doc.json']);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 1 });
  });

  it('store documents through temp + rename (no partial file is ever visible under the real name)', async () => {
    const store = await ProjectStore.create(path.join(dir, 'p'), { name: 'P' });
    const renames: string[] = [];
    const fs = await import('node:fs');
    const spy = vi.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      renames.push(`${path.basename(String(from)).replace(/\.\d+\.[0-9a-f]+\.tmp$/, '.TMP')} -> ${path.basename(String(to))}`);
      const { rename } = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
      return rename(from, to);
    });
    try {
      await store.saveExperiment({ id: 'exp', name: 'E', spec: rawSpec });
    } finally {
      spy.mockRestore();
    }
    expect(renames).toEqual(['exp.json.TMP -> exp.json']);
  });
});

describe('event logs', () => {
  it('load with a torn last line, and the next append cuts the torn bytes off first', async () => {
    const file = path.join(dir, 'events.ndjson');
    await writeFile(file, `${JSON.stringify({ a: 1 })}\n${JSON.stringify({ a: 2 })}\n{"a": 3, "tor`);
    expect(await EventLog.read(file)).toEqual({ records: [{ a: 1 }, { a: 2 }], tornLastLine: true });
    const log = new EventLog(file);
    await log.append({ a: 4 });
    expect(await EventLog.read(file)).toEqual({ records: [{ a: 1 }, { a: 2 }, { a: 4 }], tornLastLine: false });
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":4}\n');
  });

  it('report a damaged line in the middle with the file and line', async () => {
    const file = path.join(dir, 'events.ndjson');
    await writeFile(file, '{"a":1}\nnot json\n{"a":3}\n');
    await expect(EventLog.read(file)).rejects.toMatchObject({ code: 'IO', details: { path: file, line: 2 } });
  });

  it('a run whose log was torn by a crash shows as interrupted and resumable', async () => {
    const store = await ProjectStore.create(path.join(dir, 'p'), { name: 'P' });
    await store.createRun(record('r1'));
    const started = event('r1', { type: 'started', strategy: 'naive', label: 'x', seed: 0, backend: 'wasm', device: 'CPU', experiences: 2 });
    await writeFile(path.join(store.runDir('r1'), 'events.ndjson'), `${JSON.stringify(started)}\n${JSON.stringify(event('r1', { type: 'evaluation', experience: 0, accuracies: [1] }))}\n{"runId":"r1","ty`);
    const run = await store.readRun('r1');
    expect(run.tornLastLine).toBe(true);
    expect(run.digest).toMatchObject({ status: 'interrupted', events: 2, evaluations: 1, backend: 'wasm' });
  });
});

describe('project store', () => {
  it('creates, reopens and saves a project; refuses a folder that is not empty or already a project', async () => {
    const folder = path.join(dir, 'proj');
    const store = await ProjectStore.create(folder, { name: 'My project', description: 'd' });
    expect(store.project).toMatchObject({ schemaVersion: 1, kind: 'clwb-project', name: 'My project', description: 'd' });
    expect((await readdir(folder)).sort()).toEqual(['experiments', 'project.json', 'runs']);
    await store.saveProject({ name: 'Renamed' });
    const reopened = await ProjectStore.open(folder);
    expect(reopened.project.name).toBe('Renamed');
    await expect(ProjectStore.create(folder, { name: 'again' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const busy = path.join(dir, 'busy');
    await mkdir(busy);
    await writeFile(path.join(busy, 'thesis.tex'), 'mine');
    await expect(ProjectStore.create(busy, { name: 'x' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await readFile(path.join(busy, 'thesis.tex'), 'utf8')).toBe('mine');
    await expect(ProjectStore.open(path.join(dir, 'nothing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('saves experiments (graph + spec), gives new ones ids from their names, and reads them back', async () => {
    const store = await ProjectStore.create(path.join(dir, 'p'), { name: 'P' });
    const first = await store.saveExperiment({ name: 'Split MNIST: EWC vs SI!', graph: { nodes: [{ id: 'n1' }] }, spec: rawSpec });
    const second = await store.saveExperiment({ name: 'Split MNIST: EWC vs SI!', spec: rawSpec });
    expect(first.id).toBe('split-mnist-ewc-vs-si');
    expect(second.id).toBe('split-mnist-ewc-vs-si-2');
    const updated = await store.saveExperiment({ id: first.id, name: 'Renamed', spec: { draft: true } });
    // The graph is kept when a save does not send one; createdAt stays.
    expect(updated).toMatchObject({ graph: { nodes: [{ id: 'n1' }] }, createdAt: first.createdAt, spec: { draft: true } });
    expect(await store.getExperiment(first.id)).toEqual(updated);
    await expect(store.getExperiment('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => store.experimentFile('../escape')).toThrow(/Invalid experiment id/);
  });

  it('reports unreadable files with path and reason and never writes over them', async () => {
    const folder = path.join(dir, 'p');
    const store = await ProjectStore.create(folder, { name: 'P' });
    await store.saveExperiment({ id: 'good', name: 'Good', spec: rawSpec });
    const broken = path.join(folder, 'experiments', 'broken.json');
    const newer = path.join(folder, 'experiments', 'newer.json');
    const wrong = path.join(folder, 'experiments', 'wrong.json');
    const misnamed = path.join(folder, 'experiments', 'misnamed.json');
    await writeFile(broken, '{"schemaVersion": 1, "kind": "clwb-exper');
    await writeFile(newer, JSON.stringify({ schemaVersion: 7, kind: 'clwb-experiment', id: 'newer', name: 'N', spec: {}, createdAt: 'x', updatedAt: 'x', hologram: true }));
    await writeFile(wrong, JSON.stringify({ schemaVersion: 1, kind: 'clwb-experiment', id: 'wrong', name: 42, spec: {}, createdAt: 'x', updatedAt: 'x' }));
    await writeFile(misnamed, JSON.stringify({ schemaVersion: 1, kind: 'clwb-experiment', id: 'other', name: 'M', spec: {}, createdAt: 'x', updatedAt: 'x' }));
    const { experiments, problems } = await store.listExperiments();
    expect(experiments.map((e) => e.id)).toEqual(['good']);
    const reasons = Object.fromEntries(problems.map((p) => [path.basename(p.path), p.reason]));
    expect(reasons['broken.json']).toMatch(/not valid JSON/);
    expect(reasons['newer.json']).toMatch(/newer CL Workbench \(schema version 7; this version reads 1\)/);
    expect(reasons['wrong.json']).toMatch(/\$\.name must be a string/);
    expect(reasons['misnamed.json']).toMatch(/does not match its file name/);
    for (const problem of problems) expect(path.isAbsolute(problem.path)).toBe(true);

    const before = await readFile(broken, 'utf8');
    await expect(store.saveExperiment({ id: 'broken', name: 'Overwrite?', spec: rawSpec })).rejects.toMatchObject({ code: 'CONFLICT', details: { path: broken } });
    expect(await readFile(broken, 'utf8')).toBe(before);

    // A corrupt project.json: opening fails naming it, and the file is left as it was.
    const projectFile = path.join(folder, 'project.json');
    await writeFile(projectFile, '{ nope');
    await expect(ProjectStore.open(folder)).rejects.toMatchObject({ code: 'IO', details: { path: projectFile } });
    expect(await readFile(projectFile, 'utf8')).toBe('{ nope');
  });

  it('validates run records and results on load, and lists runs with their state', async () => {
    const folder = path.join(dir, 'p');
    const store = await ProjectStore.create(folder, { name: 'P' });
    await store.createRun(record('done'));
    await store.appendEvent('done', event('done', { type: 'started', strategy: 'naive', label: 'x', seed: 0, backend: 'wasm', device: 'CPU', experiences: 2 }));
    await store.appendEvent('done', event('done', { type: 'finished', metrics: result('done', 0, 0.5).metrics }));
    await store.writeResult('done', result('done', 0, 0.5));
    await store.createRun(record('cancelled', { seed: 1 }));
    await store.appendEvent('cancelled', event('cancelled', { type: 'failed', error: { code: 'CANCELLED', message: 'The run was cancelled' } }));
    await store.createRun(record('crashed', { seed: 1 }));
    await store.appendEvent('crashed', event('crashed', { type: 'failed', error: { code: 'INTERNAL', message: 'died', details: { workerExit: { reason: 'oom' } } } }));
    await store.createRun(record('never-started', { seed: 1 }));
    await mkdir(path.join(folder, 'runs', 'no-spec'));
    await mkdir(path.join(folder, 'runs', 'bad-spec'));
    await writeFile(path.join(folder, 'runs', 'bad-spec', 'spec.json'), JSON.stringify({ ...record('bad-spec'), seed: -1 }));
    await mkdir(path.join(folder, 'runs', 'bad-result'));
    await writeJsonAtomic(path.join(folder, 'runs', 'bad-result', 'spec.json'), record('bad-result'));
    await writeFile(path.join(folder, 'runs', 'bad-result', 'result.json'), JSON.stringify({ schemaVersion: 1, kind: 'clwb-run-result', result: { id: 'bad-result' } }));

    const { runs, problems } = await store.listRuns();
    const status = Object.fromEntries(runs.map((run) => [run.record.id, run.digest.status]));
    expect(status).toEqual({ done: 'finished', cancelled: 'cancelled', crashed: 'failed', 'never-started': 'interrupted', 'bad-result': 'finished' });
    expect(runs.find((run) => run.record.id === 'crashed')?.digest.error).toMatchObject({ code: 'WORKER_EXITED', reason: 'oom' });
    const reasons = Object.fromEntries(problems.map((p) => [path.basename(path.dirname(p.path)), p.reason]));
    expect(reasons['no-spec']).toMatch(/does not exist/);
    expect(reasons['bad-spec']).toMatch(/\$\.seed must be >= 0/);
    await expect(store.readResult('bad-result')).rejects.toMatchObject({ code: 'RESULTS_INVALID', message: expect.stringMatching(/result is incomplete: \$\.result\.strategy is required/) });
    expect(await store.readResult('done')).toMatchObject({ id: 'done', metrics: { acc: 0.5 } });
  });

  it('builds an experiment results document: latest run per strategy x seed of the latest spec', async () => {
    const store = await ProjectStore.create(path.join(dir, 'p'), { name: 'P' });
    const add = async (id: string, seed: number, acc: number, createdAt: string) => {
      await store.createRun(record(id, { seed, createdAt }));
      await store.writeResult(id, result(id, seed, acc));
    };
    await add('a-s0', 0, 0.4, '2025-01-01T00:00:00.000Z');
    await add('b-s0', 0, 0.6, '2025-01-02T00:00:00.000Z');
    await add('b-s1', 1, 0.8, '2025-01-02T00:00:01.000Z');
    const document = await store.experimentResults('exp');
    expect(document).toMatchObject({ kind: 'clwb-results', schemaVersion: 1, experiment: { name: 'store test' } });
    expect(document.runs.map((r) => r.id)).toEqual(['b-s0', 'b-s1']);
    expect(document.summary[0].metrics.acc.mean).toBeCloseTo(0.7, 12);
    expect((await store.experimentResults('exp', ['a-s0'])).runs.map((r) => r.id)).toEqual(['a-s0']);
    await expect(store.experimentResults('nothing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The reports' reader finds the same document from the folder alone.
    expect(await projectResultsReader.canRead(store.dir)).toBe(true);
    const read = await projectResultsReader.read(store.dir, undefined);
    expect((read.document as { runs: { id: string }[] }).runs.map((r) => r.id)).toEqual(['b-s0', 'b-s1']);
  });
});

describe('user data', () => {
  it('copies the sample project on first use, never writing into the bundled copy', async () => {
    const home = path.join(dir, 'home');
    const before = (await stat(path.join(SAMPLE_PROJECT_SOURCE, 'project.json'))).mtimeMs;
    const copy = await ensureSampleProject(home);
    expect(copy).toBe(path.join(home, 'projects', 'sample-project'));
    const store = await ProjectStore.open(copy);
    const { experiments, problems } = await store.listExperiments();
    expect(problems).toEqual([]);
    expect(experiments).toHaveLength(1);
    // The sample experiment is ready to run: a valid spec on the bundled MNIST digits.
    const spec = validateExperiment(experiments[0].spec, validationCatalogue());
    expect(spec).toMatchObject({ dataset: { id: 'mnist-bundled' }, model: { type: 'mlp', hidden: [100] }, scenario: { type: 'class-incremental', experiences: 5 } });
    expect(spec.strategies.map((s) => s.id)).toEqual(['naive', 'cumulative']);
    // A second call reuses the copy (and keeps what the user changed in it).
    await store.saveProject({ name: 'Mine now' });
    expect(await ensureSampleProject(home)).toBe(copy);
    expect((await ProjectStore.open(copy)).project.name).toBe('Mine now');
    expect((await stat(path.join(SAMPLE_PROJECT_SOURCE, 'project.json'))).mtimeMs).toBe(before);
  });

  it('remembers recent projects, most recent first, and leaves an unreadable list alone', async () => {
    const recent = new RecentProjects(path.join(dir, 'recent.json'), 3);
    for (const name of ['a', 'b', 'c', 'd']) await recent.add({ path: `/p/${name}`, name });
    await recent.add({ path: '/p/b', name: 'b' });
    expect((await recent.list()).map((r) => r.name)).toEqual(['b', 'd', 'c']);
    await writeFile(recent.file, 'garbage');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await recent.list()).toEqual([]);
    await recent.add({ path: '/p/e', name: 'e' });
    errors.mockRestore();
    expect(await readFile(recent.file, 'utf8')).toBe('garbage');
  });
});
