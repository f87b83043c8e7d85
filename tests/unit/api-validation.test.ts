// The API contract's payload validation, at every layer a payload crosses: the schemas,
// the service (bad payloads never reach a handler), the Electron IPC handlers (sender and
// argument checks) and the preload (exactly the contract's verbs, one argument each).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkSchema, REQUEST_SCHEMAS, validateRequest, VERBS, type Envelope, type Verb } from '../../main/workbench/api/contract.ts';
import { WorkbenchService } from '../../main/workbench/api/service.ts';
import type { WorkerLauncher } from '../../main/workbench/scheduler/worker-host.ts';
import { ProjectStore } from '../../main/workbench/projects/index.ts';
import { specHash } from '../../main/workbench/experiment-run.ts';
import { validateExperiment, validationCatalogue, type RunResult } from '../../main/engine/index.ts';

const rawSpec = {
  schemaVersion: 1,
  name: 'tiny',
  dataset: { id: 'synthetic' },
  scenario: { type: 'class-incremental', experiences: 2 },
  model: { type: 'mlp', hidden: [8] },
  training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 0.001 } },
  strategies: [{ id: 'naive' }],
  seeds: [0],
};

function finishedResult(id: string): RunResult {
  const metrics = { acc: 0.55, bwt: -0.4, fwt: 0, forgetting: 0.4, averageIncrementalAccuracy: 0.7, forgettingPerExperience: [0.4, null] };
  return {
    id, strategy: 'naive', label: 'Naive (fine-tuning)', name: 'Naive (fine-tuning)', params: {}, seed: 0,
    scenario: { type: 'class-incremental', experiences: 2 }, backend: 'wasm', device: 'CPU',
    accuracyMatrix: [[0.95, 0], [0.5, 0.6]], randomBaseline: [0.5, 0.5], metrics,
    perClassAccuracy: [0.9, 0.1, 0.5, 0.6], confusionMatrix: [[1, 0], [0, 1]],
    cost: { trainSeconds: 1, evalSeconds: 0.1, wallSeconds: 1.2, trainedSamples: 400, samplesPerSecond: 400, peakTensorBytes: 1000, peakTensors: 10, parameters: 562, bufferSamples: 0, bufferBytes: 0, extraForwardSamples: 0, extraBackwardSamples: 0 },
    startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), versions: { app: '0.1.0', tfjs: '4.22.0' },
  };
}

// Electron is not installed as a binary here; the preload and IPC modules only need these calls.
const electron = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
  invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'from main' })),
}));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => electron.exposed.set(key, value) },
  ipcRenderer: { invoke: electron.invoke, on: vi.fn(), removeListener: vi.fn() },
  ipcMain: { handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) => electron.handlers.set(channel, handler), removeHandler: vi.fn() },
  BrowserWindow: { getAllWindows: () => [] },
}));

/** A launcher that must never be used: validation failures never reach the scheduler. */
const noWorkers: WorkerLauncher = () => {
  throw new Error('no worker may start in these tests');
};

let home: string;
let service: WorkbenchService;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'clwb-api-'));
  service = await WorkbenchService.create({ host: 'serve', userDataDir: home, dataDir: path.join(home, 'data'), launcher: noWorkers, concurrency: 1 });
});

afterAll(async () => {
  await service.close();
  await rm(home, { recursive: true, force: true });
});

const bad = (verb: Verb, payload: unknown) => {
  const result = validateRequest(verb, payload);
  expect(result.ok, `${verb} ${JSON.stringify(payload)} should be refused`).toBe(false);
  return result.ok ? [] : ((result.error.details?.problems ?? []) as { path: string; message: string }[]);
};

describe('request schemas', () => {
  it('cover every verb of the contract, grouped domain.action', () => {
    expect(VERBS.length).toBeGreaterThanOrEqual(20);
    for (const verb of VERBS) {
      expect(verb).toMatch(/^[a-z]+\.[a-z]+$/i);
      expect(REQUEST_SCHEMAS[verb].type).toBe('object');
    }
    expect(VERBS).toEqual(
      expect.arrayContaining([
        'projects.create', 'projects.open', 'projects.recent', 'projects.save',
        'experiments.save', 'experiments.validate',
        'runs.start', 'runs.cancel', 'runs.resume', 'runs.list', 'runs.events', 'runs.results', 'runs.get',
        'catalogue.get', 'datasets.list', 'datasets.import', 'datasets.download', 'backend.info', 'reports.export',
      ]),
    );
  });

  it('accept good payloads, and an absent payload for verbs without fields', () => {
    expect(validateRequest('app.info', undefined).ok).toBe(true);
    expect(validateRequest('projects.recent', null).ok).toBe(true);
    expect(validateRequest('runs.start', { experimentId: 'split-mnist', strategies: [0, 2], seeds: [0] }).ok).toBe(true);
    expect(validateRequest('experiments.save', { name: 'E', graph: { nodes: [{ id: 'a', position: { x: 1.5, y: -2 } }] }, spec: { anything: [1, 'two', null, true] } }).ok).toBe(true);
    expect(validateRequest('projects.open', { path: '/home/me/projects/a b (1)' }).ok).toBe(true);
  });

  it('reject wrong types, unknown fields and missing fields, naming each path', () => {
    expect(bad('runs.start', {})).toEqual([{ path: '$.experimentId', message: 'is required' }]);
    expect(bad('runs.start', { experimentId: 7 })[0]).toMatchObject({ path: '$.experimentId', message: expect.stringMatching(/must be a string/) });
    expect(bad('runs.start', { experimentId: 'e', strategies: [0, 0] })[0]).toMatchObject({ path: '$.strategies', message: 'must not repeat items' });
    expect(bad('runs.start', { experimentId: 'e', seeds: [1.5] })[0]).toMatchObject({ path: '$.seeds[0]', message: expect.stringMatching(/integer/) });
    expect(bad('runs.start', { experimentId: 'e', strategies: [-1] })[0]).toMatchObject({ path: '$.strategies[0]', message: expect.stringMatching(/>= 0/) });
    expect(bad('runs.cancel', { runId: 'r', force: true })[0]).toMatchObject({ path: '$.force', message: expect.stringMatching(/not a known field/) });
    expect(bad('app.info', { sneaky: 1 })[0].path).toBe('$.sneaky');
    expect(bad('scheduler.configure', { concurrency: 0 })[0].message).toMatch(/>= 1/);
    expect(bad('backend.info', { refresh: 'yes' })[0].message).toMatch(/true or false/);
    for (const payload of ['string', 42, [1, 2], true]) expect(bad('runs.list', payload)[0]).toMatchObject({ path: '$', message: expect.stringMatching(/must be an object/) });
  });

  it('reject ids that could leave their folder, and paths with NUL bytes', () => {
    for (const id of ['../etc', 'a/b', 'a\\b', '.hidden', '', 'x'.repeat(129), 'a b', 'run\u0000']) {
      expect(bad('runs.cancel', { runId: id })[0].path).toBe('$.runId');
      expect(bad('experiments.get', { id })[0].path).toBe('$.id');
    }
    expect(bad('projects.open', { path: '/tmp/a\u0000b' })[0].path).toBe('$.path');
    expect(bad('projects.open', { path: '' })[0].message).toBe('must not be empty');
    expect(bad('projects.open', { path: `/${'x'.repeat(5000)}` })[0].message).toMatch(/at most 4096/);
  });

  it('reject JSON that is not plain data: prototype keys, too deep, too large', () => {
    expect(bad('experiments.validate', JSON.parse('{"spec": {"__proto__": {"polluted": true}}}'))[0]).toMatchObject({ path: '$.spec.__proto__', message: expect.stringMatching(/not an allowed key/) });
    expect(bad('experiments.validate', JSON.parse('{"__proto__": {"x": 1}, "spec": {}}'))[0].path).toBe('$.__proto__');
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(bad('experiments.validate', { spec: deep }).some((p) => /nested deeper/.test(p.message))).toBe(true);
    expect(bad('experiments.save', { name: 'x', spec: {}, graph: { blob: 'x'.repeat(9 * 1024 * 1024) } }).some((p) => /larger than/.test(p.message))).toBe(true);
    expect(bad('experiments.validate', { spec: { f: () => 1 } })[0].message).toMatch(/JSON data/);
    expect(bad('experiments.validate', { spec: { n: Number.NaN } })[0].message).toMatch(/finite/);
    expect(bad('experiments.validate', { spec: new Date() })[0].message).toMatch(/JSON data/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('the checker itself reports every problem, not just the first', () => {
    const problems = checkSchema(REQUEST_SCHEMAS['reports.export'], { experimentId: 1, csv: 2, pdf: 3, extra: 4 });
    expect(problems.map((p) => p.path)).toEqual(['$.experimentId', '$.csv', '$.pdf', '$.extra']);
  });
});

describe('the service refuses bad payloads before doing anything', () => {
  it('answers BAD_REQUEST envelopes with the problems, for unknown verbs too', async () => {
    const reply = await service.handle('runs.start', { experimentId: '../../../etc/passwd' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: { verb: 'runs.start', problems: [{ path: '$.experimentId' }] } } });
    expect(await service.handle('runs.obliterate', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/Unknown verb/) } });
    expect(await service.handle('__proto__', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await service.handle('toString', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await service.handle(42, {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('answers good payloads, with codes for what cannot be done', async () => {
    expect(await service.handle('app.info', undefined)).toMatchObject({ ok: true, value: { host: 'serve', contractVersion: 1 } });
    expect(await service.handle('projects.current', {})).toEqual({ ok: true, value: null });
    expect(await service.handle('runs.list', {})).toMatchObject({ ok: false, error: { code: 'NO_PROJECT' } });
    expect(await service.handle('projects.open', { path: 'relative/path' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/absolute/) } });
    expect(await service.handle('projects.open', { path: path.join(home, 'nope') })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const validation = (await service.handle('experiments.validate', { spec: { schemaVersion: 1, name: 'x' } })) as Envelope<{ valid: boolean; problems: { path: string }[] }>;
    expect(validation.ok && validation.value.valid).toBe(false);
    expect(validation.ok && validation.value.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['$.dataset', '$.strategies']));
    const catalogue = await service.call('catalogue.get', {});
    expect(catalogue.strategies.map((s) => s.id)).toEqual(expect.arrayContaining(['naive', 'cumulative']));
    expect(catalogue.datasets.find((d) => d.id === 'mnist-bundled')).toMatchObject({ bundled: true, available: true });
    expect(catalogue.datasets.find((d) => d.id === 'mnist')).toMatchObject({ bundled: false, available: false, downloadable: true, importable: true });
    expect(await service.handle('datasets.download', { id: 'synthetic' })).toMatchObject({ ok: true, value: { available: true } });
    expect(await service.handle('datasets.import', { id: 'mnist', folder: 'relative' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await service.handle('datasets.import', { id: 'nonexistent', folder: '/tmp' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ID' } });
  });

  it('creates a project, saves and checks experiments, and exports a report of finished runs', async () => {
    const created = await service.call('projects.create', { path: path.join(home, 'p1'), name: 'P1' });
    expect(created).toMatchObject({ project: { name: 'P1' }, experiments: [], runs: [], problems: [] });
    const saved = await service.call('experiments.save', { name: 'Draft', spec: { schemaVersion: 1 } });
    expect(saved.validation.valid).toBe(false);
    expect(await service.handle('runs.start', { experimentId: saved.experiment.id })).toMatchObject({ ok: false, error: { code: 'SPEC_INVALID' } });
    expect(await service.handle('runs.start', { experimentId: 'missing' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await service.handle('runs.cancel', { runId: 'missing' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await service.handle('reports.export', { experimentId: saved.experiment.id })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await service.handle('reports.export', { experimentId: saved.experiment.id, csv: 'relative.csv' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await service.handle('reports.export', { experimentId: saved.experiment.id, csv: path.join(created.path, 'reports', 'x.csv') })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringMatching(/no finished runs/) } });
    // Outside the project folder (or a traversal out of it) is refused.
    for (const outside of [path.join(home, 'x.csv'), path.join(created.path, '..', 'x.csv'), created.path]) {
      expect(await service.handle('reports.export', { experimentId: saved.experiment.id, csv: outside })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect((await service.call('projects.recent', {}))[0]).toMatchObject({ name: 'P1' });

    // A finished run, as a worker would have stored it; then the report.
    const store = await ProjectStore.open(created.path);
    const spec = validateExperiment(rawSpec, validationCatalogue());
    const experiment = await service.call('experiments.save', { name: 'Tiny', spec: rawSpec });
    expect(experiment.validation.valid).toBe(true);
    await store.createRun({ schemaVersion: 1, kind: 'clwb-run', id: 'r1', experimentId: experiment.experiment.id, experimentName: 'Tiny', strategyIndex: 0, strategy: 'naive', label: 'Naive (fine-tuning)', seed: 0, spec, specHash: specHash(spec), backend: 'wasm', createdAt: new Date().toISOString() });
    await store.writeResult('r1', finishedResult('r1'));
    const csv = path.join(created.path, 'reports', 'report.csv');
    // runs.get: the run as queued (its own spec) and its result.
    const details = await service.call('runs.get', { runId: 'r1' });
    expect(details).toMatchObject({ id: 'r1', seed: 0, strategy: 'naive', spec: { name: spec.name }, result: { id: 'r1' } });
    expect(await service.handle('runs.get', { runId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const exported = await service.call('reports.export', { experimentId: experiment.experiment.id, csv });
    expect(exported.files[0]).toBe(csv);
    expect(await readFile(csv, 'utf8')).toContain('Naive (fine-tuning)');
    // Existing files are not replaced unless asked.
    expect(await service.handle('reports.export', { experimentId: experiment.experiment.id, csv })).toMatchObject({ ok: false, error: { code: 'IO', message: expect.stringMatching(/already exist/) } });
    expect(await service.handle('reports.export', { experimentId: experiment.experiment.id, csv, overwrite: true })).toMatchObject({ ok: true });
  });
});

describe('Electron IPC handlers', () => {
  it('answer only our own top-level renderer frame, with exactly one argument, and validate it', async () => {
    const { registerIpcHandlers } = await import('../../main/app/ipc.ts');
    const { createSenderCheck } = await import('../../main/app/security.ts');
    const rendererIndex = '/opt/clwb/out/renderer/index.html';
    const calls: [unknown, unknown][] = [];
    const stub = {
      handle: async (verb: unknown, payload: unknown) => {
        calls.push([verb, payload]);
        return service.handle(verb, payload);
      },
      onEvent: () => () => undefined,
    };
    registerIpcHandlers(stub, createSenderCheck(rendererIndex), () => true);
    expect([...electron.handlers.keys()].sort()).toEqual(VERBS.map((verb) => `workbench:${verb}`).sort());
    const ours = { senderFrame: { url: 'file:///opt/clwb/out/renderer/index.html#/runs', parent: null } };
    const handler = electron.handlers.get('workbench:runs.cancel')!;
    expect(await handler(ours, { runId: '../x' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await handler({ senderFrame: { url: 'https://evil.example/', parent: null } }, { runId: 'r' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await handler({ senderFrame: { url: 'file:///opt/clwb/out/renderer/index.html', parent: {} } }, { runId: 'r' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await handler({ senderFrame: null }, { runId: 'r' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await handler(ours, { runId: 'r' }, { smuggled: true })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/one argument/) } });
    // Refused calls never reached the service; the one that did was validated there.
    expect(calls).toEqual([['runs.cancel', { runId: '../x' }]]);
    expect(await electron.handlers.get('workbench:app.info')!(ours, {})).toMatchObject({ ok: true, value: { contractVersion: 1 } });
  });
});

describe('preload', () => {
  it('exposes exactly the contract verbs on window.workbench, each forwarding one argument on its channel', async () => {
    vi.stubGlobal('__WORKBENCH_VERSION__', '9.9.9');
    await import('../../preload/index.ts');
    const bridge = electron.exposed.get('workbench') as Record<string, unknown>;
    expect(bridge.version).toBe('9.9.9');
    expect(typeof bridge.onEvent).toBe('function');
    const exposed = Object.entries(bridge)
      .filter(([, value]) => typeof value === 'object')
      .flatMap(([domain, actions]) => Object.keys(actions as object).map((action) => `${domain}.${action}`));
    expect(exposed.sort()).toEqual([...VERBS].sort());
    expect(Object.keys(bridge).filter((key) => typeof bridge[key] !== 'object').sort()).toEqual(['onEvent', 'version']);
    const runs = bridge.runs as Record<string, (...args: unknown[]) => Promise<unknown>>;
    expect(await runs.start({ experimentId: 'e' }, 'extra', 'args')).toEqual({ ok: true, value: 'from main' });
    expect(electron.invoke).toHaveBeenLastCalledWith('workbench:runs.start', { experimentId: 'e' });
    await (bridge.app as Record<string, () => Promise<unknown>>).info();
    expect(electron.invoke).toHaveBeenLastCalledWith('workbench:app.info', {});
    vi.unstubAllGlobals();
  });
});
