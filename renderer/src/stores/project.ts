/**
 * The open project (project.json, its experiments, problems), the host and the back end.
 * Runs live in the runs store, which this one seeds when a project opens.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BackendReport, ExperimentDocument, ExperimentSummary, HostInfo, ProjectState, RecentProject, SchedulerInfo, ValidationReport } from '../../../main/workbench/api/contract.ts';
import { useClient } from '../composables/useClient.ts';
import { toShownError, type ShownError } from '../utils/errors.ts';

/** Whether the page reached a back end. */
export type Connection = 'connecting' | 'ready' | 'absent' | 'failed';

export const useProjectStore = defineStore('project', () => {
  const connection = ref<Connection>('connecting');
  const connectionError = ref<ShownError | undefined>();
  const host = shallowRef<HostInfo | undefined>();
  const backend = shallowRef<BackendReport | undefined>();
  const scheduler = shallowRef<SchedulerInfo | undefined>();
  const state = shallowRef<ProjectState | undefined>();
  const recent = shallowRef<RecentProject[]>([]);
  const error = ref<ShownError | undefined>();
  const busy = ref(false);
  /** Called with each project that opens (the runs store seeds its list). */
  const openedListeners = new Set<(project: ProjectState) => void>();

  const experiments = computed<ExperimentSummary[]>(() => [...(state.value?.experiments ?? [])].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)));
  const name = computed(() => state.value?.project.name ?? '');
  const path = computed(() => state.value?.path ?? '');

  function onOpened(listener: (project: ProjectState) => void): () => void {
    openedListeners.add(listener);
    return () => openedListeners.delete(listener);
  }

  function setState(project: ProjectState | null | undefined): void {
    state.value = project ?? undefined;
    if (project) for (const listener of openedListeners) listener(project);
  }

  /** Asks the host who it is and which project is open. */
  async function connect(): Promise<void> {
    const client = useClient();
    if (!client) {
      connection.value = 'absent';
      return;
    }
    try {
      host.value = await client.call('app.info');
      await client.ready();
      setState(await client.call('projects.current'));
      connection.value = 'ready';
    } catch (caught) {
      connection.value = 'failed';
      connectionError.value = toShownError(caught);
      return;
    }
    // Probing the tfjs backend starts a worker: ask once the page is up.
    client.call('backend.info').then(
      (report) => {
        backend.value = report;
        scheduler.value = report.scheduler;
      },
      () => undefined,
    );
    client.call('projects.recent').then(
      (list) => (recent.value = list),
      () => undefined,
    );
  }

  async function act(action: () => Promise<ProjectState>): Promise<boolean> {
    busy.value = true;
    error.value = undefined;
    try {
      setState(await action());
      const client = useClient();
      if (client) recent.value = await client.call('projects.recent').catch(() => recent.value);
      return true;
    } catch (caught) {
      error.value = toShownError(caught);
      return false;
    } finally {
      busy.value = false;
    }
  }

  const open = (folder: string) => act(() => useClient()!.call('projects.open', { path: folder }));
  const create = (folder: string, projectName: string) => act(() => useClient()!.call('projects.create', { path: folder, name: projectName }));
  const refresh = () => act(async () => (await useClient()!.call('projects.current')) ?? Promise.reject(new Error('No project is open')));

  /** Keeps the experiment list current after the designer saves. */
  function noteExperimentSaved(document: ExperimentDocument, validation: ValidationReport): void {
    if (!state.value) return;
    const summary: ExperimentSummary = {
      id: document.id,
      name: document.name,
      updatedAt: document.updatedAt,
      valid: validation.valid,
      plannedRuns: validation.valid ? validation.plannedRuns : 0,
      runs: state.value.experiments.find((e) => e.id === document.id)?.runs ?? 0,
    };
    const others = state.value.experiments.filter((e) => e.id !== document.id);
    state.value = { ...state.value, experiments: [...others, summary] };
  }

  function setScheduler(info: SchedulerInfo): void {
    scheduler.value = info;
  }

  return {
    connection,
    connectionError,
    host,
    backend,
    scheduler,
    state,
    recent,
    error,
    busy,
    experiments,
    name,
    path,
    onOpened,
    setState,
    connect,
    open,
    create,
    refresh,
    noteExperimentSaved,
    setScheduler,
  };
});
