/**
 * Compare: one experiment's finished runs as a strategies × metrics table (mean ± sd
 * over seeds), sorted, with a pinned baseline and the configurations side by side, and
 * the comparison report export. Starts from the experiment's compare intent (the
 * designer's Compare block).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ResultsDocument } from '../../../main/workbench/api/contract.ts';
import { useClient } from '../composables/useClient.ts';
import type { CompareIntent } from '../types/graph.ts';
import { compileGraph, isDesignerGraph } from '../utils/compile.ts';
import { bestRows, buildRows, configRows, presentMetrics, sortRows, type GroupBy, type MetricKey, type SortKey, type SortOrder } from '../utils/compare.ts';
import { toShownError, type ShownError } from '../utils/errors.ts';
import { useCatalogueStore } from './catalogue.ts';
import { useProjectStore } from './project.ts';

/** `a/b` with the separator the project path uses. */
export function joinPath(folder: string, ...parts: string[]): string {
  const separator = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return [folder.replace(/[\\/]+$/, ''), ...parts].join(separator);
}

/** A file-name-safe slug of an experiment name. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'report';
}

export const useCompareStore = defineStore('compare', () => {
  const project = useProjectStore();
  const catalogue = useCatalogueStore();

  const experimentId = ref<string | undefined>();
  const results = shallowRef<ResultsDocument | undefined>();
  const intent = shallowRef<CompareIntent | undefined>();
  const loading = ref(false);
  const error = ref<ShownError | undefined>();
  const groupBy = ref<GroupBy>('strategy');
  const sortKey = ref<SortKey | undefined>('acc');
  const sortOrder = ref<SortOrder>('descending');
  const baseline = ref<string | undefined>();
  const differencesOnly = ref(true);
  /** Strategy labels shown (all when empty). */
  const shown = ref<string[]>([]);
  const exporting = ref(false);
  const exportError = ref<ShownError | undefined>();
  const exported = ref<string[]>([]);

  const runs = computed(() => {
    const all = results.value?.runs ?? [];
    return shown.value.length ? all.filter((run) => shown.value.includes(run.label)) : all;
  });
  const labels = computed(() => [...new Set((results.value?.runs ?? []).map((run) => run.label))]);
  const rows = computed(() => buildRows(runs.value, groupBy.value));
  const metrics = computed(() => presentMetrics(rows.value));
  const sorted = computed(() => sortRows(rows.value, sortKey.value, sortOrder.value, baseline.value));
  const best = computed(() => bestRows(rows.value, metrics.value));
  const baselineRow = computed(() => rows.value.find((row) => row.key === baseline.value));
  const configuration = computed(() => configRows(rows.value, differencesOnly.value));
  const failed = computed(() => results.value?.failed ?? []);

  /** Loads the experiment's results and its compare intent. */
  async function load(id: string | undefined = experimentId.value): Promise<void> {
    const client = useClient();
    experimentId.value = id;
    exported.value = [];
    exportError.value = undefined;
    if (!client || !id) {
      results.value = undefined;
      return;
    }
    loading.value = true;
    error.value = undefined;
    try {
      const [document, experiment] = await Promise.all([client.call('runs.results', { experimentId: id }), client.call('experiments.get', { id }).catch(() => undefined)]);
      if (experimentId.value !== id) return;
      results.value = document;
      const graph = experiment?.graph;
      intent.value = isDesignerGraph(graph) ? compileGraph(graph, experiment?.name ?? '', { strategyName: catalogue.strategyName }).compare : undefined;
      const present = new Set(document.runs.map((run) => run.label));
      shown.value = (intent.value?.strategies ?? []).filter((label) => present.has(label));
      if (shown.value.length === present.size) shown.value = [];
      baseline.value = intent.value?.baseline && present.has(intent.value.baseline) && groupBy.value === 'strategy' ? intent.value.baseline : undefined;
    } catch (caught) {
      if (experimentId.value !== id) return;
      results.value = undefined;
      error.value = toShownError(caught);
    } finally {
      loading.value = false;
    }
  }

  function sortBy(key: SortKey, order?: SortOrder): void {
    if (order) sortOrder.value = order;
    else if (sortKey.value === key) sortOrder.value = sortOrder.value === 'descending' ? 'ascending' : 'descending';
    else sortOrder.value = key === 'label' ? 'ascending' : 'descending';
    sortKey.value = key;
  }

  function pin(key: string | undefined): void {
    baseline.value = baseline.value === key ? undefined : key;
  }

  function setGroupBy(next: GroupBy): void {
    groupBy.value = next;
    baseline.value = undefined;
  }

  /** Writes the comparison report into the project folder (reports/). */
  async function exportReport(formats: { csv: boolean; pdf: boolean }): Promise<string[]> {
    const client = useClient();
    const id = experimentId.value;
    if (!client || !id) return [];
    exporting.value = true;
    exportError.value = undefined;
    exported.value = [];
    try {
      if (!project.path) throw Object.assign(new Error('No project is open'), { code: 'NO_PROJECT' });
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
      const base = joinPath(project.path, 'reports', `${slug(results.value?.experiment.name ?? id)}-${stamp}`);
      const runIds = shown.value.length ? runs.value.map((run) => run.id) : undefined;
      const reply = await client.call('reports.export', {
        experimentId: id,
        ...(runIds ? { runIds } : {}),
        ...(formats.csv ? { csv: `${base}.csv` } : {}),
        ...(formats.pdf ? { pdf: `${base}.pdf` } : {}),
      });
      exported.value = reply.files;
      return reply.files;
    } catch (caught) {
      exportError.value = toShownError(caught);
      return [];
    } finally {
      exporting.value = false;
    }
  }

  /** The value cells of a metric key, for tests and the bench. */
  function cell(rowKey: string, key: MetricKey) {
    return rows.value.find((row) => row.key === rowKey)?.cells[key];
  }

  return {
    experimentId,
    results,
    intent,
    loading,
    error,
    groupBy,
    sortKey,
    sortOrder,
    baseline,
    differencesOnly,
    shown,
    exporting,
    exportError,
    exported,
    runs,
    labels,
    rows,
    metrics,
    sorted,
    best,
    baselineRow,
    configuration,
    failed,
    load,
    sortBy,
    pin,
    setGroupBy,
    exportReport,
    cell,
  };
});
