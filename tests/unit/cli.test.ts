// The `clwb` command line: its commands, files and exit codes are a contract with users' scripts.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, writeFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../main/cli/index.ts';

const run = promisify(execFile);

/** Runs main() in-process with captured output. */
async function clwb(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stream = (sink: (s: string) => void) => ({ write: (s: string) => (sink(s), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const code = await main(argv, { stdout: stream((s) => (stdout += s)), stderr: stream((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

const experiment = {
  schemaVersion: 1,
  name: 'CLI test',
  dataset: { id: 'synthetic' },
  scenario: { type: 'task-incremental', experiences: 2, classesPerExperience: 2 },
  model: { type: 'mlp', hidden: [32] },
  training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 0.003 } },
  strategies: [{ id: 'naive' }, { id: 'cumulative' }],
  seeds: [0, 1],
};

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'clwb-cli-'));
}

describe('clwb', () => {
  it('strategies --json lists the catalogue with id, name, family and params', async () => {
    const { code, stdout } = await clwb('strategies', '--json');
    expect(code).toBe(0);
    const catalogue = JSON.parse(stdout) as { id: string; name: string; family: string; params: object; scenarios: string[] }[];
    expect(catalogue.map((s) => s.id)).toEqual(expect.arrayContaining(['naive', 'joint', 'cumulative', 'ensemble']));
    for (const entry of catalogue) {
      expect(entry.name).toBeTruthy();
      expect(['baseline', 'rehearsal', 'generative', 'regularisation', 'architectural', 'hybrid']).toContain(entry.family);
      expect(typeof entry.params).toBe('object');
      expect(entry.scenarios.length).toBeGreaterThan(0);
    }
    const text = await clwb('strategies');
    expect(text.stdout).toMatch(/naive\s+Naive \(fine-tuning\)\s+\[baseline\]/);
  });

  it('validate: exit 0 for a valid file; non-zero listing every problem with its path', async () => {
    const dir = await tempDir();
    const good = path.join(dir, 'good.json');
    await writeFile(good, JSON.stringify(experiment));
    expect((await clwb('validate', good)).code).toBe(0);
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...experiment, seeds: [-1], strategies: [{ id: 'naive', params: { x: 1 } }] }));
    const result = await clwb('validate', bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('$.seeds[0]');
    expect(result.stderr).toContain('$.strategies[0].params.x');
    expect(result.stderr).toContain(bad);
    expect((await clwb('validate', path.join(dir, 'missing.json'))).stderr).toMatch(/Cannot read .*missing\.json: no such file/);
    await rm(dir, { recursive: true });
  });

  it('rejects unknown commands and options with usage (exit 2)', async () => {
    expect((await clwb('frobnicate')).code).toBe(2);
    const result = await clwb('run', 'x.json', '--fast');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option --fast/);
  });

  it('run writes results.json, event logs and per-run results; --json prints the summary; refuses to overwrite; --resume reuses finished runs', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'exp.json');
    await writeFile(file, JSON.stringify(experiment));
    const out = path.join(dir, 'out');
    const result = await clwb('run', file, '--out', out, '--backend', 'wasm', '--json');
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { summary: { label: string; n: number; metrics: { acc: { mean: number; sd: number } } }[] };
    expect(printed.summary.map((s) => s.n)).toEqual([2, 2]);
    const document = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(document).toMatchObject({ schemaVersion: 1, kind: 'clwb-results', experiment: { name: 'CLI test' } });
    expect(document.runs).toHaveLength(4);
    for (const r of document.runs) {
      expect(r).toMatchObject({ backend: 'wasm', scenario: { type: 'task-incremental' } });
      expect(r.accuracyMatrix).toHaveLength(2);
      expect(r.taskAccuracyMatrix).toHaveLength(2);
      expect(Object.keys(r.metrics)).toEqual(expect.arrayContaining(['acc', 'bwt', 'fwt', 'forgetting']));
      expect(r.cost).toMatchObject({ parameters: expect.any(Number), samplesPerSecond: expect.any(Number), peakTensorBytes: expect.any(Number) });
    }
    expect(document.summary[0].metrics.acc.mean).toBeCloseTo((document.runs[0].metrics.acc + document.runs[1].metrics.acc) / 2, 12);
    const runDirs = await readdir(path.join(out, 'runs'));
    expect(runDirs.sort()).toEqual(['01-naive-s0', '01-naive-s1', '02-cumulative-s0', '02-cumulative-s1']);
    const events = (await readFile(path.join(out, 'runs', '01-naive-s0', 'events.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].type).toBe('started');
    expect(events.filter((e) => e.type === 'evaluation')).toHaveLength(2);
    expect(events.at(-1).type).toBe('finished');

    const again = await clwb('run', file, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds .*--resume/);

    // Resume: a finished run is kept as it was, an interrupted one (result removed) is redone.
    await rm(path.join(out, 'runs', '02-cumulative-s1', 'result.json'));
    const resumed = await clwb('run', file, '--out', out, '--resume', '--json');
    expect(resumed.stderr).not.toMatch(/error/);
    expect(resumed.code).toBe(0);
    const after = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(after.runs.map((r: { accuracyMatrix: number[][] }) => r.accuracyMatrix)).toEqual(document.runs.map((r: { accuracyMatrix: number[][] }) => r.accuracyMatrix));
    expect(after.runs[0].finishedAt).toBe(document.runs[0].finishedAt);
    await rm(dir, { recursive: true });
  });

  it('resume refuses a different experiment in the same folder', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'exp.json');
    await writeFile(file, JSON.stringify({ ...experiment, strategies: [{ id: 'naive' }], seeds: [0] }));
    const out = path.join(dir, 'out');
    expect((await clwb('run', file, '--out', out)).code).toBe(0);
    await writeFile(file, JSON.stringify({ ...experiment, strategies: [{ id: 'naive' }], seeds: [5] }));
    const result = await clwb('run', file, '--out', out, '--resume');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/different experiment/);
    await rm(dir, { recursive: true });
  });

  it('recipes: every shipped recipe is listed, names its paper and validates; recipe:<id> resolves', async () => {
    const { code, stdout } = await clwb('recipes', '--json');
    expect(code).toBe(0);
    const recipes = JSON.parse(stdout) as { id: string; description: string; file: string }[];
    expect(recipes.map((r) => r.id)).toEqual(expect.arrayContaining(['split-mnist-class-il', 'split-mnist-task-il', 'split-mnist-domain-il', 'permuted-mnist', 'online-gem-protocol']));
    for (const recipe of recipes) {
      expect(recipe.description).toMatch(/(19|20)\d\d/);
      const result = await clwb('validate', `recipe:${recipe.id}`);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    const unknown = await clwb('validate', 'recipe:nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown recipe "nope" \(known: .*split-mnist-class-il/);
  });

  it('npx clwb works as the package bin (a real process)', async () => {
    const { stdout } = await run(process.execPath, [path.resolve('bin/clwb.mjs'), 'strategies', '--json'], { cwd: path.resolve('.') });
    expect(JSON.parse(stdout).length).toBeGreaterThanOrEqual(4);
  });
});
