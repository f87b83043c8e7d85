/** Datasets: what is bundled, cached or importable, and downloads/imports with their progress and errors. */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ApiEvent, DatasetInfo, DatasetProgress } from '../../../main/workbench/api/contract.ts';
import { useClient } from '../composables/useClient.ts';
import { toShownError, type ShownError } from '../utils/errors.ts';

export type DatasetStatus = 'bundled' | 'ready' | 'missing';

export function datasetStatus(dataset: DatasetInfo): DatasetStatus {
  if (dataset.bundled) return 'bundled';
  return dataset.available ? 'ready' : 'missing';
}

export const useDatasetsStore = defineStore('datasets', () => {
  const datasets = shallowRef<DatasetInfo[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<ShownError | undefined>();
  const busy = ref<Record<string, 'download' | 'import' | undefined>>({});
  const progress = ref<Record<string, DatasetProgress | undefined>>({});
  const errors = ref<Record<string, ShownError | undefined>>({});

  const counts = computed(() => ({
    bundled: datasets.value.filter((d) => d.bundled).length,
    ready: datasets.value.filter((d) => !d.bundled && d.available).length,
    missing: datasets.value.filter((d) => !d.available).length,
  }));

  async function load(): Promise<void> {
    const client = useClient();
    if (!client) return;
    loading.value = true;
    error.value = undefined;
    try {
      datasets.value = await client.call('datasets.list');
      loaded.value = true;
    } catch (caught) {
      error.value = toShownError(caught);
    } finally {
      loading.value = false;
    }
  }

  function handleEvent(event: ApiEvent): void {
    if (event.type === 'dataset.progress') progress.value = { ...progress.value, [event.id]: event.progress };
  }

  function replace(info: DatasetInfo): void {
    datasets.value = datasets.value.map((d) => (d.id === info.id ? info : d));
  }

  async function act(id: string, kind: 'download' | 'import', action: () => Promise<DatasetInfo>): Promise<boolean> {
    busy.value = { ...busy.value, [id]: kind };
    errors.value = { ...errors.value, [id]: undefined };
    progress.value = { ...progress.value, [id]: undefined };
    try {
      replace(await action());
      return true;
    } catch (caught) {
      errors.value = { ...errors.value, [id]: toShownError(caught) };
      return false;
    } finally {
      busy.value = { ...busy.value, [id]: undefined };
    }
  }

  const download = (id: string) => act(id, 'download', () => useClient()!.call('datasets.download', { id }));
  const importFolder = (id: string, folder: string) => act(id, 'import', () => useClient()!.call('datasets.import', { id, folder }));

  return { datasets, loading, loaded, error, busy, progress, errors, counts, load, handleEvent, download, importFolder };
});

/** 0–100 for a progress bar, or undefined when the total is unknown. */
export function progressPercent(progress: DatasetProgress | undefined): number | undefined {
  if (!progress?.total) return undefined;
  return Math.min(100, Math.round((progress.loaded / progress.total) * 100));
}
