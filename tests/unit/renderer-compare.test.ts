// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExperimentDocument } from '../../main/workbench/api/contract.ts';
import CompareTable from '../../renderer/src/components/compare/CompareTable.vue';
import ConfigTable from '../../renderer/src/components/compare/ConfigTable.vue';
import ExportDialog from '../../renderer/src/components/compare/ExportDialog.vue';
import { setClient } from '../../renderer/src/composables/useClient.ts';
import { useCatalogueStore } from '../../renderer/src/stores/catalogue.ts';
import { useCompareStore } from '../../renderer/src/stores/compare.ts';
import { useProjectStore } from '../../renderer/src/stores/project.ts';
import { specToGraph } from '../../renderer/src/utils/compile.ts';
import { CATALOGUE, fakeBackend, FakeError, resultsDocument, runResult, type FakeBackend } from './renderer-fixtures.ts';

vi.mock('../../renderer/src/composables/useEChart.ts', () => ({ useEChart: () => undefined }));

let backend: FakeBackend;
let exportReply: () => { files: string[] };

beforeEach(async () => {
  setActivePinia(createPinia());
  exportReply = () => {
    throw new FakeError('NOT_IMPLEMENTED', 'Report export is not available in this build yet');
  };
  // The designer's graph holds the compare intent: Replay and EWC side by side, EWC the baseline.
  const { graph } = specToGraph({ schemaVersion: 1, name: 'x', strategies: [{ id: 'naive' }, { id: 'replay' }, { id: 'ewc' }], seeds: [0, 1] });
  const strategies = graph.nodes.filter((n) => n.kind === 'strategy');
  graph.nodes.push({ id: 'cmp', kind: 'metrics', position: { x: 0, y: 0 }, config: { baseline: strategies[2].id } });
  for (const s of strategies.slice(1)) graph.edges.push({ id: `w${s.id}`, source: s.id, target: 'cmp', sourceHandle: 'out:results', targetHandle: 'in:results' });
  backend = fakeBackend({
    'catalogue.get': () => CATALOGUE,
    'catalogue.recipes': () => [],
    'runs.results': () =>
      resultsDocument([
        runResult('Naive (fine-tuning)', 'naive', 0, 0.2),
        runResult('Replay (experience replay)', 'replay', 0, 0.7, { memorySize: 200 }),
        runResult('Replay (experience replay)', 'replay', 1, 0.8, { memorySize: 200 }),
        runResult('EWC (Elastic Weight Consolidation)', 'ewc', 0, 0.4, { lambda: 1000 }),
        runResult('EWC (Elastic Weight Consolidation)', 'ewc', 1, 0.5, { lambda: 1000 }),
      ]),
    'experiments.get': ({ id }) => ({ schemaVersion: 1, kind: 'clwb-experiment', id, name: 'x', graph: graph as unknown as ExperimentDocument['graph'], spec: {}, createdAt: 't', updatedAt: 't' }),
    'reports.export': () => exportReply(),
  });
  setClient(backend.client);
  await useCatalogueStore().load();
  useProjectStore().setState({ path: '/home/me/project', project: { schemaVersion: 1, kind: 'clwb-project', id: 'p', name: 'P', createdAt: 't', updatedAt: 't' }, experiments: [], runs: [], resumable: [], problems: [] });
});

afterEach(() => setClient(undefined));

describe('the compare store', () => {
  it('starts from the experiment’s compare intent: the strategies wired into Compare, and its baseline', async () => {
    const compare = useCompareStore();
    await compare.load('exp');
    expect(compare.shown).toEqual(['Replay (experience replay)', 'EWC (Elastic Weight Consolidation)']);
    expect(compare.baseline).toBe('EWC (Elastic Weight Consolidation)');
    // The baseline is pinned first whatever the sort.
    expect(compare.sorted.map((r) => r.label)).toEqual(['EWC (Elastic Weight Consolidation)', 'Replay (experience replay)']);
    compare.shown = [];
    compare.sortBy('acc', 'ascending');
    compare.pin(undefined);
    expect(compare.sorted.map((r) => r.label)).toEqual(['Naive (fine-tuning)', 'EWC (Elastic Weight Consolidation)', 'Replay (experience replay)']);
    compare.sortBy('acc');
    expect(compare.sortOrder).toBe('descending');
    expect(compare.cell('Replay (experience replay)', 'acc')?.n).toBe(2);
  });

  it('exports into the project’s reports folder, and keeps the error’s code when it cannot', async () => {
    const compare = useCompareStore();
    await compare.load('exp');
    expect(await compare.exportReport({ csv: true, pdf: true })).toEqual([]);
    expect(compare.exportError).toMatchObject({ code: 'NOT_IMPLEMENTED' });
    const request = backend.calls.find((c) => c.verb === 'reports.export')?.request as { csv: string; pdf: string; runIds: string[]; experimentId: string };
    expect(request.experimentId).toBe('exp');
    expect(request.csv).toMatch(/^\/home\/me\/project\/reports\/split-mnist-quick-\d{8}-\d{6}\.csv$/);
    expect(request.pdf).toMatch(/\.pdf$/);
    // Only the strategies shown go into the report.
    expect(request.runIds).toHaveLength(4);
    exportReply = () => ({ files: ['/home/me/project/reports/a.csv'] });
    expect(await compare.exportReport({ csv: true, pdf: false })).toEqual(['/home/me/project/reports/a.csv']);
    expect(compare.exportError).toBeUndefined();
  });

  it('says when an experiment has no results yet', async () => {
    backend.handlers['runs.results'] = () => {
      throw new FakeError('NOT_FOUND', 'Experiment exp has no finished runs yet');
    };
    const compare = useCompareStore();
    await compare.load('exp');
    expect(compare.results).toBeUndefined();
    expect(compare.error).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('the compare table (DOM)', () => {
  it('renders strategies × metrics as mean ± sd, marks the best, pins the baseline and sorts on a header click', async () => {
    const compare = useCompareStore();
    await compare.load('exp');
    compare.shown = [];
    compare.pin(undefined);
    const wrapper = mount(CompareTable, { props: { width: 1400, height: 400 }, attachTo: document.body });
    await flushPromises();
    expect(wrapper.attributes('data-rows')).toBe('3');
    const labels = () => wrapper.findAll('[data-testid="compare-row-label"]').map((l) => l.text());
    expect(labels()).toEqual(['Replay (experience replay)', 'EWC (Elastic Weight Consolidation)', 'Naive (fine-tuning)']);
    // Replay's ACC over its two seeds, with its spread, marked best.
    const replayAcc = wrapper.findAll('[data-testid="cell-acc"]')[0];
    expect(replayAcc.text()).toMatch(/\d+\.\d %.*±.*\d/);
    expect(replayAcc.find('[data-testid="best-mark"]').exists()).toBe(true);
    expect(wrapper.findAll('[data-testid="cell-acc"]')[2].find('[data-testid="best-mark"]').exists()).toBe(false);
    // Pinning: the row moves to the top (fixed) and the others show their difference.
    await wrapper.get('button[aria-label="Pin Naive (fine-tuning) as the baseline"]').trigger('click');
    await flushPromises();
    expect(compare.baseline).toBe('Naive (fine-tuning)');
    // The pinned row is the table's fixed row, above the scrolling ones.
    expect(wrapper.get('.el-table-v2__fixed-header-row [data-testid="compare-row-label"]').text()).toBe('Naive (fine-tuning)');
    expect(labels().filter((label) => label === 'Naive (fine-tuning)')).toHaveLength(1);
    expect(wrapper.find('.delta.up').text()).toMatch(/^\+\d/);
    // Sorting by a header.
    await wrapper.get('.el-table-v2__header-cell[data-key="forgetting"]').trigger('click');
    await flushPromises();
    expect(compare.sortKey).toBe('forgetting');
    wrapper.unmount();
  });

  it('shows only the configuration settings that differ', async () => {
    const compare = useCompareStore();
    await compare.load('exp');
    compare.shown = [];
    const wrapper = mount(ConfigTable);
    expect(wrapper.findAll('tbody tr').map((row) => row.attributes('data-testid'))).toEqual(['config-strategy', 'config-seeds', 'config-memorySize', 'config-lambda']);
    await wrapper.get('[data-testid="differences-only"]').trigger('click');
    expect(compare.differencesOnly).toBe(false);
  });

  it('shows a report export error with its code in the dialog', async () => {
    const compare = useCompareStore();
    await compare.load('exp');
    const wrapper = mount(ExportDialog, { props: { open: true }, attachTo: document.body });
    await flushPromises();
    const confirm = document.querySelector('[data-testid="export-confirm"]') as HTMLButtonElement;
    expect(document.body.textContent).toContain('/home/me/project/reports');
    confirm.click();
    await flushPromises();
    const notice = document.querySelector('[data-testid="export-dialog"] [data-testid="error-notice"]');
    expect(notice?.getAttribute('data-code')).toBe('NOT_IMPLEMENTED');
    expect(notice?.textContent).toContain('not available in this build');
    wrapper.unmount();
  });
});
