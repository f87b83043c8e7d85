/**
 * Runs: the queue as the back end reports it, kept current by events, and each run's
 * chart data (loss, samples/s, memory, accuracy matrix, event log). Events are batched
 * per animation frame: several runs training at once cost one update and one redraw
 * per frame, however many events arrive.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { ApiEvent, RunEvent, RunSummary } from '../../../main/workbench/api/contract.ts';
import { applyRunEvent, mergeRun } from '../api/index.ts';
import { useClient } from '../composables/useClient.ts';
import { strategyLabels } from '../utils/compile.ts';
import { toShownError, type ShownError } from '../utils/errors.ts';
import { createFrameBatcher, nextFrame, type FrameScheduler } from '../utils/frame-batch.ts';
import { addEvent, createSeries, seriesFromHistory, type RunSeries } from '../utils/run-series.ts';
import { useCatalogueStore } from './catalogue.ts';

const ACTIVE = new Set(['queued', 'running']);

/** Queue order: running, then queued by position, then the rest newest first. */
export function queueOrder(runs: RunSummary[]): RunSummary[] {
  const rank = (run: RunSummary) => (run.status === 'running' ? 0 : run.status === 'queued' ? 1 : 2);
  return [...runs].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    if (a.status === 'queued') return (a.queuePosition ?? 0) - (b.queuePosition ?? 0);
    if (a.status === 'running') return (a.startedAt ?? a.createdAt).localeCompare(b.startedAt ?? b.createdAt);
    return b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);
  });
}

export const useRunsStore = defineStore('runs', () => {
  const runs = shallowRef<RunSummary[]>([]);
  /** Runs shown in the charts. */
  const selected = ref<string[]>([]);
  /** The run whose details and accuracy matrix are shown. */
  const focused = ref<string | undefined>();
  const busy = ref<Record<string, boolean>>({});
  /** An action's error, shown on the run's row. */
  const errors = ref<Record<string, ShownError>>({});
  const experimentFilter = ref<string | undefined>();
  /** Bumped once per flushed frame of events: charts recompute from the series. */
  const revision = ref(0);
  // Outside Vue's reactivity (thousands of points): `revision` says when it changed.
  const series = markRaw(new Map<string, RunSeries>());
  /** Live events that arrived while a run's stored log was being read. */
  const pendingHistory = new Map<string, RunEvent[]>();
  let scheduler: FrameScheduler = nextFrame;

  const batcher = createFrameBatcher<ApiEvent>(applyEvents, () => scheduler);

  const byId = computed(() => new Map(runs.value.map((r) => [r.id, r])));
  const ordered = computed(() => queueOrder(experimentFilter.value ? runs.value.filter((r) => r.experimentId === experimentFilter.value) : runs.value));
  const active = computed(() => runs.value.filter((r) => ACTIVE.has(r.status)));
  const running = computed(() => runs.value.filter((r) => r.status === 'running'));
  const focusedRun = computed(() => (focused.value ? byId.value.get(focused.value) : undefined));

  /** Replaces how events are batched (tests flush synchronously). */
  function setFrameScheduler(next: FrameScheduler): void {
    scheduler = next;
  }

  function seriesOf(runId: string): RunSeries {
    let found = series.get(runId);
    if (!found) {
      found = createSeries(runId);
      series.set(runId, found);
    }
    return found;
  }

  /** The run list of a project that just opened. */
  function setRuns(list: RunSummary[]): void {
    runs.value = list;
    const ids = new Set(list.map((r) => r.id));
    selected.value = selected.value.filter((id) => ids.has(id));
    if (focused.value && !ids.has(focused.value)) focused.value = undefined;
    if (selected.value.length === 0) autoSelect();
  }

  /** With nothing chosen, chart what trains now, else the latest experiment's runs. */
  function autoSelect(): void {
    const live = runs.value.filter((r) => ACTIVE.has(r.status));
    const latest = [...runs.value].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    const pick = live.length ? live : latest ? runs.value.filter((r) => r.experimentId === latest.experimentId && r.createdAt.slice(0, 16) === latest.createdAt.slice(0, 16)) : [];
    selected.value = pick.slice(0, 8).map((r) => r.id);
    focused.value ??= selected.value[0];
    for (const id of selected.value) void loadHistory(id);
  }

  /** Feeds one back-end event in (applied on the next frame). */
  function handleEvent(event: ApiEvent): void {
    if (event.type === 'run.status' || event.type === 'run.event') batcher.push(event);
  }

  function applyEvents(events: ApiEvent[]): void {
    let list = runs.value;
    const newRuns: string[] = [];
    for (const event of events) {
      if (event.type === 'run.status' && !list.some((r) => r.id === event.run.id)) newRuns.push(event.run.id);
      list = applyRunEvent(list, event);
      if (event.type === 'run.event') {
        const pending = pendingHistory.get(event.runId);
        if (pending) pending.push(event.event);
        addEvent(seriesOf(event.runId), event.event);
      }
    }
    runs.value = list;
    // Runs that start while the user watches join the charts.
    if (newRuns.length && selected.value.length < 8) selected.value = [...selected.value, ...newRuns].slice(0, 8);
    focused.value ??= selected.value[0];
    revision.value += 1;
  }

  /** Applies pending events now. */
  function flush(): void {
    batcher.flush();
  }

  /** Reads a run's stored event log into its series (once). */
  async function loadHistory(runId: string): Promise<void> {
    const client = useClient();
    if (!client || series.get(runId)?.historyLoaded || pendingHistory.has(runId)) return;
    pendingHistory.set(runId, [...(series.get(runId)?.log ?? [])]);
    try {
      const { events } = await client.call('runs.events', { runId, limit: 100_000 });
      series.set(runId, seriesFromHistory(runId, events, pendingHistory.get(runId) ?? []));
      revision.value += 1;
    } catch (caught) {
      errors.value = { ...errors.value, [runId]: toShownError(caught) };
    } finally {
      pendingHistory.delete(runId);
    }
  }

  function toggleSelected(runId: string, on?: boolean): void {
    const has = selected.value.includes(runId);
    const want = on ?? !has;
    if (want && !has) {
      selected.value = [...selected.value, runId];
      void loadHistory(runId);
    } else if (!want && has) selected.value = selected.value.filter((id) => id !== runId);
  }

  function focus(runId: string): void {
    focused.value = runId;
    if (!selected.value.includes(runId)) toggleSelected(runId, true);
    void loadHistory(runId);
  }

  function merge(list: RunSummary[]): void {
    let next = runs.value;
    for (const run of list) next = mergeRun(next, run);
    runs.value = next;
  }

  async function act(runId: string, action: () => Promise<RunSummary | RunSummary[]>): Promise<boolean> {
    busy.value = { ...busy.value, [runId]: true };
    const { [runId]: _previous, ...rest } = errors.value;
    errors.value = rest;
    try {
      const result = await action();
      merge(Array.isArray(result) ? result : [result]);
      return true;
    } catch (caught) {
      errors.value = { ...errors.value, [runId]: toShownError(caught) };
      return false;
    } finally {
      busy.value = { ...busy.value, [runId]: false };
    }
  }

  const cancel = (runId: string) => act(runId, () => useClient()!.call('runs.cancel', { runId }));
  const resume = (runId: string) => act(runId, () => useClient()!.call('runs.resume', { runId }));

  /** Queues the same strategy and seed of the run's experiment again (a new run). */
  function rerun(runId: string): Promise<boolean> {
    return act(runId, async () => {
      const client = useClient()!;
      const run = byId.value.get(runId);
      if (!run) throw new Error(`Run ${runId} is not in the list`);
      const document = await client.call('experiments.get', { id: run.experimentId });
      const spec = document.spec as { strategies?: { id: string; label?: string }[]; seeds?: number[] };
      const catalogue = useCatalogueStore();
      const labels = strategyLabels(spec.strategies ?? [], catalogue.strategyName);
      let index = labels.indexOf(run.label);
      // Run ids end in <position>-<strategy>-s<seed> (1-based position).
      if (index < 0) {
        const match = /-(\d+)-[^]*-s\d+$/.exec(run.id);
        if (match) index = Number(match[1]) - 1;
      }
      if (index < 0 || !spec.strategies?.[index]) throw new Error(`The experiment no longer has the strategy “${run.label}”; open it in the designer to run it.`);
      if (!spec.seeds?.includes(run.seed)) throw new Error(`The experiment no longer has seed ${run.seed}.`);
      const started = await client.call('runs.start', { experimentId: run.experimentId, strategies: [index], seeds: [run.seed] });
      for (const item of started) toggleSelected(item.id, true);
      return started;
    });
  }

  /** Queues every strategy × seed of an experiment. */
  async function startExperiment(experimentId: string): Promise<RunSummary[]> {
    let started: RunSummary[] = [];
    await act(experimentId, async () => (started = await useClient()!.call('runs.start', { experimentId })));
    if (started.length) selectStarted(started);
    return started;
  }

  /** Charts the runs just queued. */
  function selectStarted(started: RunSummary[]): void {
    merge(started);
    selected.value = started.slice(0, 8).map((r) => r.id);
    focused.value = started[0]?.id;
  }

  return {
    runs,
    selected,
    focused,
    busy,
    errors,
    experimentFilter,
    revision,
    byId,
    ordered,
    active,
    running,
    focusedRun,
    setFrameScheduler,
    seriesOf,
    setRuns,
    handleEvent,
    flush,
    loadHistory,
    toggleSelected,
    focus,
    merge,
    cancel,
    resume,
    rerun,
    startExperiment,
    selectStarted,
  };
});
