/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import readme from '../../README.md?raw';
import example from '../../examples/split-mnist-quick.json';
import type { DesignerEdge, DesignerGraph, DesignerNode } from '../../renderer/src/types/graph.ts';
import { handleId } from '../../renderer/src/utils/blocks.ts';
import { compileGraph, emptyGraph, isDesignerGraph, mapValidatorProblems, normaliseConfig, specToGraph, strategyLabels } from '../../renderer/src/utils/compile.ts';
import { paletteGroups } from '../../renderer/src/utils/palette.ts';
import { CATALOGUE } from './renderer-fixtures.ts';

// The recipes shipped in recipes/, read by Vite at test time (no Node APIs: this file is checked as renderer code).
const recipes = import.meta.glob<Record<string, unknown>>('../../recipes/*.json', { eager: true, import: 'default' });

/** The example experiment file in README.md ("The experiment file"). */
function readmeExample(): unknown {
  const section = readme.slice(readme.indexOf('## The experiment file'));
  const match = /```json\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md has no example experiment');
  return JSON.parse(match[1]);
}

/** The config a palette item starts a block with (what a user drags). */
function preset(key: string) {
  for (const group of paletteGroups(CATALOGUE)) for (const section of group.sections) for (const item of section.items) if (item.key === key) return structuredClone(item.config);
  throw new Error(`no palette item ${key}`);
}

let ids = 0;
const node = (kind: DesignerNode['kind'], config: DesignerNode['config'], id = `${kind}-${++ids}`): DesignerNode => ({ id, kind, position: { x: 0, y: 0 }, config });
const wire = (source: DesignerNode, target: DesignerNode, port: string): DesignerEdge => ({
  id: `e-${source.id}-${target.id}`,
  source: source.id,
  target: target.id,
  sourceHandle: handleId('out', port),
  targetHandle: handleId('in', port),
});

/** The graph a user builds from the palette for the README example: dataset → scenario → model ← training, four strategies. */
function readmeGraph(): { graph: DesignerGraph; nodes: Record<string, DesignerNode> } {
  const dataset = node('dataset', preset('dataset:mnist-bundled'), 'dataset');
  const scenario = node('scenario', preset('scenario:class'), 'scenario');
  const model = node('model', preset('model:mlp'), 'model');
  const training = node('training', preset('training:adam'), 'training');
  const strategies = ['naive', 'joint', 'cumulative', 'ensemble'].map((id) => node('strategy', preset(`strategy:${id}`), id));
  const metrics = node('metrics', {}, 'metrics');
  return {
    graph: {
      ...emptyGraph(),
      nodes: [dataset, scenario, model, training, ...strategies, metrics],
      edges: [wire(dataset, scenario, 'data'), wire(scenario, model, 'stream'), wire(training, model, 'training'), ...strategies.flatMap((s) => [wire(model, s, 'model'), wire(s, metrics, 'results')])],
      seeds: [0, 1],
    },
    nodes: Object.fromEntries([dataset, scenario, model, training, metrics, ...strategies].map((n) => [n.id, n])),
  };
}

describe('graph → experiment file', () => {
  it('compiles the palette-built graph to exactly the README example', () => {
    const { graph } = readmeGraph();
    const compiled = compileGraph(graph, 'Split MNIST quick');
    expect(compiled.problems).toEqual([]);
    expect(compiled.spec).toStrictEqual(readmeExample());
    // Same key order as the README too (a diff of the file reads naturally).
    expect(JSON.stringify(compiled.spec)).toBe(JSON.stringify(readmeExample()));
    expect(compiled.strategyNodes).toEqual(['naive', 'joint', 'cumulative', 'ensemble']);
  });

  it('a missing model marks the strategies that need it, the scenario that feeds it, and the experiment', () => {
    const { graph } = readmeGraph();
    graph.nodes = graph.nodes.filter((n) => n.kind !== 'model');
    graph.edges = graph.edges.filter((e) => e.source !== 'model' && e.target !== 'model');
    const { problems, spec } = compileGraph(graph, 'x');
    expect(problems).toContainEqual(expect.objectContaining({ path: '$.model', message: expect.stringContaining('No model') }));
    for (const id of ['naive', 'joint', 'cumulative', 'ensemble']) {
      expect(problems).toContainEqual(expect.objectContaining({ nodeId: id, message: expect.stringContaining('Needs a model') }));
    }
    // No block is blamed for what it does not concern.
    expect(problems.filter((p) => p.nodeId === 'dataset' || p.nodeId === 'training')).toEqual([]);
    expect(spec.model).toBeUndefined();
    expect(spec.strategies).toEqual([]);
  });

  it('an unwired strategy is marked and left out; a stray second dataset is marked', () => {
    const { graph } = readmeGraph();
    graph.edges = graph.edges.filter((e) => !(e.source === 'model' && e.target === 'joint'));
    graph.nodes.push(node('dataset', { id: 'synthetic' }, 'stray'));
    const { problems, spec, strategyNodes } = compileGraph(graph, 'x');
    expect(problems).toContainEqual(expect.objectContaining({ nodeId: 'joint', message: expect.stringContaining('Not connected to the model') }));
    expect(problems).toContainEqual(expect.objectContaining({ nodeId: 'stray', message: expect.stringContaining('Only one Dataset') }));
    expect(strategyNodes).toEqual(['naive', 'cumulative', 'ensemble']);
    expect((spec.strategies as { id: string }[]).map((s) => s.id)).toEqual(['naive', 'cumulative', 'ensemble']);
    expect(spec.dataset).toEqual({ id: 'mnist-bundled' });
  });

  it('an empty canvas says what to add, block by block', () => {
    const { problems } = compileGraph(emptyGraph(), 'x');
    expect(problems.map((p) => p.path)).toEqual(['$.dataset', '$.scenario', '$.model', '$.training', '$.strategies']);
  });

  it('names seeds when there are none', () => {
    const { graph } = readmeGraph();
    const { problems } = compileGraph({ ...graph, seeds: [] }, 'x');
    expect(problems).toEqual([expect.objectContaining({ target: 'seeds' })]);
  });

  it('compiles strategy parameters and labels, and the compare intent with its baseline', () => {
    const { graph, nodes } = readmeGraph();
    nodes.joint.config = { id: 'replay', params: { memorySize: 200 } };
    nodes.naive.config = { id: 'naive', label: '  Fine-tune  ' };
    // Only naive and replay are wired into the Compare block; replay is the baseline.
    graph.edges = graph.edges.filter((e) => !(e.target === 'metrics' && (e.source === 'cumulative' || e.source === 'ensemble')));
    nodes.metrics.config = { baseline: 'joint', metrics: ['acc', 'bwt'] };
    const compiled = compileGraph(graph, 'x', { strategyName: (id) => CATALOGUE.strategies.find((s) => s.id === id)?.name });
    expect((compiled.spec.strategies as unknown[])[0]).toEqual({ id: 'naive', label: 'Fine-tune' });
    expect((compiled.spec.strategies as unknown[])[1]).toEqual({ id: 'replay', params: { memorySize: 200 } });
    expect(compiled.compare).toEqual({ strategies: ['Fine-tune', 'Replay (experience replay)'], baseline: 'Replay (experience replay)', metrics: ['acc', 'bwt'] });
  });

  it('drops settings that do not apply to the block’s current choice', () => {
    expect(normaliseConfig('model', { type: 'cnn', hidden: [400], channels: [16] })).toEqual({ type: 'cnn', channels: [16] });
    expect(normaliseConfig('training', { optimizer: { lr: 0.1, type: 'sgd', beta1: 0.9 }, epochs: 2 })).toEqual({ epochs: 2, optimizer: { type: 'sgd', lr: 0.1 } });
    // Unknown keys stay, for the validator to name.
    expect(normaliseConfig('scenario', { type: 'class-incremental', bogus: 1 })).toEqual({ type: 'class-incremental', bogus: 1 });
  });

  it('labels repeated strategies as the back end does', () => {
    expect(strategyLabels([{ id: 'ewc' }, { id: 'ewc' }, { id: 'naive' }], (id) => id.toUpperCase())).toEqual(['EWC #1', 'EWC #2', 'NAIVE']);
  });
});

describe('experiment file → graph', () => {
  const files: [string, Record<string, unknown>][] = [...Object.entries(recipes), ['examples/split-mnist-quick.json', example as Record<string, unknown>]];

  it('finds the recipes', () => expect(Object.keys(recipes).length).toBeGreaterThanOrEqual(5));

  it.each(files)('opens %s as a wired graph that compiles back to the same file', (_file, spec) => {
    const { graph, name } = specToGraph(spec);
    expect(isDesignerGraph(graph)).toBe(true);
    const compiled = compileGraph(graph, name);
    expect(compiled.problems).toEqual([]);
    expect(compiled.spec).toEqual(spec);
  });

  it('opens the README example too', () => {
    const { graph, name } = specToGraph(readmeExample());
    expect(compileGraph(graph, name).spec).toStrictEqual(readmeExample());
  });
});

describe('validator problems → blocks', () => {
  it('places each problem on its block and field', () => {
    const { graph } = readmeGraph();
    const compiled = compileGraph(graph, 'x');
    const mapped = mapValidatorProblems(
      [
        { path: '$.strategies[1].params.lr', message: 'must be > 0, got -1' },
        { path: '$.training.optimizer.lr', message: 'must be > 0' },
        { path: '$.scenario.classOrder[3]', message: 'must be an integer' },
        { path: '$.seeds', message: 'must not repeat a seed' },
        { path: '$.name', message: 'is required' },
        { path: '$.schemaVersion', message: 'unsupported' },
      ],
      graph,
      compiled,
    );
    expect(mapped).toEqual([
      { nodeId: 'joint', field: 'params.lr', path: '$.strategies[1].params.lr', message: 'must be > 0, got -1', source: 'validator' },
      { nodeId: 'training', field: 'optimizer.lr', path: '$.training.optimizer.lr', message: 'must be > 0', source: 'validator' },
      { nodeId: 'scenario', field: 'classOrder', path: '$.scenario.classOrder[3]', message: 'must be an integer', source: 'validator' },
      { target: 'seeds', path: '$.seeds', message: 'must not repeat a seed', source: 'validator' },
      { target: 'name', path: '$.name', message: 'is required', source: 'validator' },
      { path: '$.schemaVersion', message: 'unsupported', source: 'validator' },
    ]);
  });

  it('does not repeat what the graph already says is missing', () => {
    const graph = emptyGraph();
    const compiled = compileGraph(graph, 'x');
    expect(mapValidatorProblems([{ path: '$.dataset', message: 'is required' }], graph, compiled)).toEqual([]);
  });
});
