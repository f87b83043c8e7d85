import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { parseExperiment, validateExperiment, validationCatalogue, WorkbenchError } from '../../main/engine/index.ts';

const valid = () => ({
  schemaVersion: 1,
  name: 'Split MNIST quick',
  dataset: { id: 'mnist-bundled' },
  scenario: { type: 'class-incremental', experiences: 5 },
  model: { type: 'mlp', hidden: [400, 400] },
  training: { epochs: 1, batchSize: 128, optimizer: { type: 'adam', lr: 0.001 } },
  strategies: [{ id: 'naive' }, { id: 'joint' }, { id: 'cumulative' }, { id: 'ensemble' }],
  seeds: [0, 1],
});

function problems(document: unknown): { path: string; message: string }[] {
  try {
    validateExperiment(document, validationCatalogue());
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    expect((error as WorkbenchError).code).toBe('SPEC_INVALID');
    return (error as WorkbenchError).details.problems ?? [];
  }
  throw new Error('expected the document to be rejected');
}

describe('experiment validation', () => {
  it('accepts the issue example and fills defaults', () => {
    const spec = validateExperiment(valid(), validationCatalogue());
    expect(spec.scenario.classesPerExperience).toBe(2);
    expect(spec.model.head).toBe('single');
    expect(spec.training.optimizer).toMatchObject({ type: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 });
    expect(spec.training.evalBatchSize).toBe(1000);
    expect(spec.strategies.map((s) => s.id)).toEqual(['naive', 'joint', 'cumulative', 'ensemble']);
  });

  it('accepts the shipped example file', () => {
    const text = readFileSync(new URL('../../examples/split-mnist-quick.json', import.meta.url), 'utf8');
    expect(parseExperiment(text, 'examples/split-mnist-quick.json', validationCatalogue()).name).toBe('Split MNIST quick');
  });

  it('defaults the head to multi for task-incremental scenarios', () => {
    const spec = validateExperiment({ ...valid(), scenario: { type: 'task-incremental', experiences: 5 } }, validationCatalogue());
    expect(spec.model.head).toBe('multi');
  });

  it('names the field path of unknown fields, wrong types, out-of-range values and unknown ids, all at once', () => {
    const document = valid() as Record<string, unknown>;
    document.colour = 'red';
    document.training = { epochs: 'two', batchSize: 0, optimizer: { type: 'adam', lr: -1 } };
    document.strategies = [{ id: 'naive' }, { id: 'nope' }, { id: 'joint', params: { alpha: 1 } }];
    document.scenario = { type: 'class-incremental', experiences: 3 };
    const found = problems(document);
    const paths = found.map((p) => p.path);
    expect(paths).toContain('$.colour');
    expect(paths).toContain('$.training.epochs');
    expect(paths).toContain('$.training.batchSize');
    expect(paths).toContain('$.training.optimizer.lr');
    expect(paths).toContain('$.strategies[1].id');
    expect(paths).toContain('$.strategies[2].params.alpha');
    expect(paths).toContain('$.scenario.experiences');
    expect(found.find((p) => p.path === '$.strategies[1].id')?.message).toMatch(/unknown strategy "nope".*naive/);
    expect(found.find((p) => p.path === '$.training.batchSize')?.message).toMatch(/>= 1/);
  });

  it('requires schemaVersion 1 and the core sections', () => {
    const paths = problems({ name: 'x' }).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['$.schemaVersion', '$.dataset', '$.scenario', '$.model', '$.training', '$.strategies']));
    expect(problems({ ...valid(), schemaVersion: 2 }).map((p) => p.path)).toEqual(['$.schemaVersion']);
  });

  it('checks scenario rules: domain-IL needs a transform; multi-head needs task ids; class order is a permutation', () => {
    expect(problems({ ...valid(), scenario: { type: 'domain-incremental', experiences: 3 } }).map((p) => p.path)).toEqual(['$.scenario.transform']);
    expect(problems({ ...valid(), model: { type: 'mlp', head: 'multi' } }).map((p) => p.path)).toEqual(['$.model.head']);
    expect(problems({ ...valid(), scenario: { type: 'class-incremental', classOrder: [0, 1, 2] } }).map((p) => p.path)).toEqual(['$.scenario.classOrder']);
    const online = { ...valid(), scenario: { type: 'class-incremental', online: { experienceSize: 10 } }, training: { epochs: 3, optimizer: { type: 'sgd', lr: 0.1 } } };
    // Joint, Cumulative and Ensemble cannot run on a one-pass stream; an online stream has one epoch.
    expect(problems(online).map((p) => p.path)).toEqual(['$.training.epochs', '$.strategies[1].id', '$.strategies[2].id', '$.strategies[3].id']);
  });

  it('is idempotent: a resolved spec (as saved in experiment.json) validates to itself', () => {
    const dir = new URL('../../recipes/', import.meta.url);
    const documents = [valid(), ...readdirSync(dir).map((name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8')))];
    documents.push({ ...valid(), training: { iterations: 50, batchSize: 10, optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 } } });
    for (const document of documents) {
      const resolved = validateExperiment(document, validationCatalogue());
      expect(validateExperiment(JSON.parse(JSON.stringify(resolved)), validationCatalogue())).toEqual(resolved);
    }
  });

  it('keeps only the chosen optimizer\'s fields and refuses the other\'s', () => {
    const sgd = validateExperiment({ ...valid(), training: { optimizer: { type: 'sgd', lr: 0.1 } } }, validationCatalogue());
    expect(sgd.training.optimizer).toEqual({ type: 'sgd', lr: 0.1, weightDecay: 0, momentum: 0 });
    expect(problems({ ...valid(), training: { optimizer: { type: 'sgd', lr: 0.1, beta1: 0.5 } } }).map((p) => p.path)).toEqual(['$.training.optimizer.beta1']);
    expect(problems({ ...valid(), training: { epochs: 3, iterations: 10, optimizer: { type: 'adam' } } }).map((p) => p.path)).toEqual(['$.training.epochs']);
  });

  it('reports invalid JSON with line and column and the file name', () => {
    expect(() => parseExperiment('{\n  "name": "x",\n  oops\n}', 'my.json', validationCatalogue())).toThrow(/my\.json is not valid JSON at line 3/);
  });

  it('rejects a non-object document and unknown datasets', () => {
    expect(() => validateExperiment([], validationCatalogue())).toThrow(/must be a JSON object/);
    expect(problems({ ...valid(), dataset: { id: 'imagenet' } })[0]).toMatchObject({ path: '$.dataset.id', message: expect.stringMatching(/unknown dataset "imagenet".*mnist-bundled/) });
  });
});
