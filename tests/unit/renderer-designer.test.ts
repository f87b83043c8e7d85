// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ValidationReport } from '../../main/workbench/api/contract.ts';
import BlockPalette from '../../renderer/src/components/designer/BlockPalette.vue';
import PropertiesPanel from '../../renderer/src/components/designer/PropertiesPanel.vue';
import { setClient } from '../../renderer/src/composables/useClient.ts';
import { useCatalogueStore } from '../../renderer/src/stores/catalogue.ts';
import { AUTOSAVE_MS, useDesignerStore } from '../../renderer/src/stores/designer.ts';
import { useProjectStore } from '../../renderer/src/stores/project.ts';
import { CATALOGUE, fakeBackend, type FakeBackend } from './renderer-fixtures.ts';

let backend: FakeBackend;
let saved: { id?: string; name: string; graph?: unknown; spec: unknown }[];
let validation: ValidationReport;

beforeEach(async () => {
  setActivePinia(createPinia());
  saved = [];
  validation = { valid: true, spec: {} as never, plannedRuns: 2 };
  backend = fakeBackend({
    'catalogue.get': () => CATALOGUE,
    'catalogue.recipes': () => [],
    'experiments.save': (request) => {
      saved.push(request);
      return { experiment: { schemaVersion: 1, kind: 'clwb-experiment', id: request.id ?? 'new-1', name: request.name, graph: request.graph ?? null, spec: request.spec, createdAt: 't', updatedAt: '2026-01-01T10:00:00.000Z' }, validation };
    },
    'experiments.validate': () => validation,
    'runs.start': ({ experimentId }) => [{ id: 'r1', experimentId, experimentName: 'x', strategy: 'replay', label: 'Replay', seed: 0, status: 'queued', createdAt: 't', evaluations: 0, events: 0, resumable: false }],
  });
  setClient(backend.client);
  await useCatalogueStore().load();
});

afterEach(() => {
  vi.useRealTimers();
  setClient(undefined);
});

/** Builds dataset → scenario → model ← training, and a Replay strategy, through the store's actions. */
function buildGraph() {
  const designer = useDesignerStore();
  const dataset = designer.addNode('dataset', { id: 'synthetic' }, { x: 0, y: 0 });
  const scenario = designer.addNode('scenario', { type: 'class-incremental', experiences: 5 }, { x: 200, y: 0 });
  const model = designer.addNode('model', { type: 'mlp', hidden: [100] }, { x: 400, y: 0 });
  const training = designer.addNode('training', { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 0.001 } }, { x: 200, y: 150 });
  const replay = designer.addNode('strategy', { id: 'replay' }, { x: 600, y: 0 });
  expect(designer.connect({ source: dataset, sourceHandle: 'out:data', target: scenario, targetHandle: 'in:data' })).toBeUndefined();
  expect(designer.connect({ source: scenario, sourceHandle: 'out:stream', target: model, targetHandle: 'in:stream' })).toBeUndefined();
  expect(designer.connect({ source: training, sourceHandle: 'out:training', target: model, targetHandle: 'in:training' })).toBeUndefined();
  return { designer, dataset, scenario, model, training, replay };
}

describe('the designer store', () => {
  it('wires typed handles only, marks what is missing on the block, and compiles once complete', () => {
    const { designer, dataset, model, replay } = buildGraph();
    expect(designer.problemsByNode.get(replay)?.[0].message).toContain('Not connected to the model');
    // A dataset cannot feed a strategy: the types differ.
    expect(designer.connect({ source: dataset, sourceHandle: 'out:data', target: replay, targetHandle: 'in:model' })).toContain('takes model, not data');
    expect(designer.connect({ source: model, sourceHandle: 'out:model', target: replay, targetHandle: 'in:model' })).toBeUndefined();
    expect(designer.problemsByNode.get(replay)).toBeUndefined();
    expect(designer.compiled.spec).toMatchObject({ dataset: { id: 'synthetic' }, model: { type: 'mlp', hidden: [100] }, strategies: [{ id: 'replay' }], seeds: [0] });
    // A single input takes one wire: a second scenario replaces the first.
    const other = designer.addNode('scenario', { type: 'task-incremental' }, { x: 0, y: 300 });
    designer.connect({ source: other, sourceHandle: 'out:stream', target: model, targetHandle: 'in:stream' });
    expect(designer.graph.edges.filter((e) => e.target === model && e.targetHandle === 'in:stream')).toHaveLength(1);
  });

  it('undoes and redoes every edit, with field edits in a row as one step', () => {
    const { designer, model, replay } = buildGraph();
    designer.connect({ source: model, sourceHandle: 'out:model', target: replay, targetHandle: 'in:model' });
    designer.updateConfig(replay, 'params.memorySize', 2);
    designer.updateConfig(replay, 'params.memorySize', 20);
    designer.updateConfig(replay, 'params.memorySize', 200);
    const node = () => designer.graph.nodes.find((n) => n.id === replay);
    expect(node()?.config).toEqual({ id: 'replay', params: { memorySize: 200 } });
    designer.undo();
    expect(node()?.config).toEqual({ id: 'replay' });
    designer.undo();
    expect(designer.graph.edges.some((e) => e.target === replay)).toBe(false);
    designer.redo();
    designer.redo();
    expect(node()?.config).toEqual({ id: 'replay', params: { memorySize: 200 } });
    expect(designer.canRedo).toBe(false);
    // Deleting a block takes its wires; undo brings both back.
    designer.removeElements([model]);
    expect(designer.graph.nodes.some((n) => n.id === model)).toBe(false);
    expect(designer.problems.some((p) => p.path === '$.model')).toBe(true);
    designer.undo();
    expect(designer.graph.edges.filter((e) => e.source === model || e.target === model)).toHaveLength(3);
  });

  it('copies and pastes blocks with their wires; a pasted strategy keeps its model', () => {
    const { designer, model, replay } = buildGraph();
    designer.connect({ source: model, sourceHandle: 'out:model', target: replay, targetHandle: 'in:model' });
    designer.updateConfig(replay, 'params.memorySize', 50);
    expect(designer.copy([replay])).toBe(1);
    const [pasted] = designer.paste();
    expect(pasted).not.toBe(replay);
    expect(designer.selection).toEqual([pasted]);
    expect(designer.graph.nodes.find((n) => n.id === pasted)?.config).toEqual({ id: 'replay', params: { memorySize: 50 } });
    expect(designer.graph.edges.some((e) => e.source === model && e.target === pasted)).toBe(true);
    expect(designer.compiled.strategyNodes).toEqual([replay, pasted]);
    // Two Replays get numbered labels in the compare intent, as the back end labels them.
    expect(designer.compiled.compare.strategies).toEqual(['Replay (experience replay) #1', 'Replay (experience replay) #2']);
  });

  it('autosaves the graph and the compiled spec, then runs the saved experiment', async () => {
    vi.useFakeTimers();
    const { designer, model, replay } = buildGraph();
    designer.connect({ source: model, sourceHandle: 'out:model', target: replay, targetHandle: 'in:model' });
    expect(designer.saveState).toBe('dirty');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS + 10);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ name: 'Untitled experiment', spec: designer.compiled.spec });
    expect((saved[0].graph as { nodes: unknown[] }).nodes).toHaveLength(5);
    expect(designer.experimentId).toBe('new-1');
    expect(designer.saveState).toBe('saved');
    expect(designer.canRun).toBe(true);
    // The next save goes to the same experiment.
    designer.setName('Replay study');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS + 10);
    expect(saved[1]).toMatchObject({ id: 'new-1', name: 'Replay study' });
    vi.useRealTimers();
    const started = await designer.run();
    expect(started.map((r) => r.id)).toEqual(['r1']);
    expect(backend.calls.at(-1)).toEqual({ verb: 'runs.start', request: { experimentId: 'new-1' } });
  });

  it('places the validator’s problems on the block and field they name', async () => {
    const { designer, model, replay } = buildGraph();
    designer.connect({ source: model, sourceHandle: 'out:model', target: replay, targetHandle: 'in:model' });
    validation = { valid: false, message: 'bad', problems: [{ path: '$.strategies[0].params.memorySize', message: 'must be <= 100000, got 1e9' }] };
    await designer.save();
    expect(designer.problemsByNode.get(replay)).toEqual([expect.objectContaining({ field: 'params.memorySize', message: 'must be <= 100000, got 1e9', source: 'validator' })]);
    expect(designer.canRun).toBe(false);
  });

  it('keeps the experiment list of the project current after a save', async () => {
    const project = useProjectStore();
    project.setState({ path: '/p', project: { schemaVersion: 1, kind: 'clwb-project', id: 'p', name: 'P', createdAt: 't', updatedAt: 't' }, experiments: [], runs: [], resumable: [], problems: [] });
    const { designer } = buildGraph();
    await designer.save();
    expect(project.experiments).toEqual([expect.objectContaining({ id: 'new-1', valid: true, plannedRuns: 2 })]);
  });
});

describe('the palette (DOM)', () => {
  it('groups the catalogue’s blocks, strategies by family, and filters them by search', async () => {
    const wrapper = mount(BlockPalette);
    await flushPromises();
    const text = wrapper.text();
    for (const heading of ['Dataset', 'Scenario', 'Model', 'Training', 'Strategy', 'Metrics', 'Baselines', 'Rehearsal', 'Regularisation']) expect(text).toContain(heading);
    expect(wrapper.find('[data-testid="palette-strategy:replay"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="palette-strategy:ewc"]').attributes('draggable')).toBe('true');
    await wrapper.find('input').setValue('elastic');
    expect(wrapper.findAll('[data-testid^="palette-"][draggable]').map((item) => item.attributes('data-testid'))).toEqual(['palette-strategy:ewc']);
    await wrapper.find('input').setValue('zzz');
    expect(wrapper.text()).toContain('No block matches');
    // Double-click adds a block (for those who do not drag).
    await wrapper.find('input').setValue('');
    await wrapper.find('[data-testid="palette-strategy:replay"]').trigger('dblclick');
    expect(wrapper.emitted('add')?.[0][0]).toMatchObject({ kind: 'strategy', config: { id: 'replay' } });
  });
});

describe('the properties panel (DOM)', () => {
  it('generates a form from the strategy’s parameter schema, writes edits to the store, and shows problems inline', async () => {
    const designer = useDesignerStore();
    const ewc = designer.addNode('strategy', { id: 'ewc' }, { x: 0, y: 0 });
    const wrapper = mount(PropertiesPanel, { attachTo: document.body });
    await flushPromises();
    expect(wrapper.get('[data-testid="properties-title"]').text()).toBe('EWC (Elastic Weight Consolidation)');
    expect(wrapper.text()).toContain('Kirkpatrick');
    // One input per parameter, of the right kind, with its default and range.
    const lambda = wrapper.get('[data-testid="field-params.lambda"]');
    expect(lambda.find('.el-input-number').exists()).toBe(true);
    expect(lambda.find('input').attributes('placeholder')).toBe('default: 1000');
    expect(lambda.text()).toContain('≥ 0');
    expect(wrapper.get('[data-testid="field-params.online"]').find('.el-switch').exists()).toBe(true);
    expect(wrapper.get('[data-testid="field-params.layers"]').find('input').attributes('placeholder')).toBe('default: 0, 1');
    expect(wrapper.get('[data-testid="field-params.fisherSamples"]').text()).toContain('Samples for the Fisher.');

    // Typing a value stores it in the block's config.
    const fisher = wrapper.get('[data-testid="field-params.fisherSamples"] input');
    await fisher.setValue('40');
    await fisher.trigger('change');
    await flushPromises();
    expect(designer.graph.nodes.find((n) => n.id === ewc)?.config).toEqual({ id: 'ewc', params: { fisherSamples: 40 } });
    expect(wrapper.get('[data-testid="field-params.fisherSamples"]').attributes('data-set')).toBe('true');

    // A list that is not a list of whole numbers is marked on its field and on the block.
    const layers = wrapper.get('[data-testid="field-params.layers"] input');
    await layers.setValue('1, x');
    await layers.trigger('change');
    await flushPromises();
    expect(wrapper.get('[data-testid="field-problem-params.layers"]').text()).toContain('must be a list of numbers');
    expect(designer.problemsByNode.get(ewc)?.some((p) => p.field === 'params.layers')).toBe(true);

    // Reset returns a field to its default (removed from the config).
    await wrapper.get('[data-testid="field-params.fisherSamples"] .field-reset').trigger('click');
    expect(designer.graph.nodes.find((n) => n.id === ewc)?.config).toEqual({ id: 'ewc', params: { layers: '1, x' } });
    wrapper.unmount();
  });

  it('shows the experiment (name, description, runs) when no block is selected', async () => {
    const designer = useDesignerStore();
    const wrapper = mount(PropertiesPanel);
    expect(wrapper.text()).toContain('Experiment');
    await wrapper.get('[data-testid="experiment-name"]').setValue('Split MNIST study');
    expect(designer.name).toBe('Split MNIST study');
    expect(wrapper.text()).toContain('0 runs');
    expect(wrapper.text()).toContain('Shortcuts');
  });
});
