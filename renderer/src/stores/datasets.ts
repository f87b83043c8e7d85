/** Datasets: what is bundled, cached or importable, and downloads/imports with their progress and errors. */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ApiEvent, DatasetImportFormat, DatasetInfo, DatasetProgress } from '../../../main/workbench/api/contract.ts';
import { useClient } from '../composables/useClient.ts';
import { useCatalogueStore } from './catalogue.ts';
import { toShownError, type ShownError } from '../utils/errors.ts';

export type DatasetStatus = 'bundled' | 'imported' | 'ready' | 'missing';

export function datasetStatus(dataset: DatasetInfo): DatasetStatus {
  if (dataset.bundled) return 'bundled';
  if (dataset.imported) return 'imported';
  return dataset.available ? 'ready' : 'missing';
}

/** The key under which a CSV / image-folder import keeps its busy state, progress and error. */
export const NEW_IMPORT = 'import:new';

/** `28x28x1` (or `28×28×1`, `28,28,1`) → [28, 28, 1]; undefined when it is not three positive integers. */
export function parseShape(text: string): [number, number, number] | undefined {
  const parts = text.trim().split(/\s*[x×,]\s*/i).map(Number);
  return parts.length === 3 && parts.every((n) => Number.isInteger(n) && n > 0) ? (parts as [number, number, number]) : undefined;
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
    imported: datasets.value.filter((d) => d.imported).length,
    ready: datasets.value.filter((d) => !d.bundled && !d.imported && d.available).length,
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
    if (event.type !== 'dataset.progress') return;
    // A CSV / image-folder import reports as `import:<name>`; one runs at a time from this view.
    const key = event.id.startsWith('import:') ? NEW_IMPORT : event.id;
    progress.value = { ...progress.value, [key]: event.progress };
  }

  function replace(info: DatasetInfo): void {
    datasets.value = datasets.value.some((d) => d.id === info.id) ? datasets.value.map((d) => (d.id === info.id ? info : d)) : [...datasets.value, info];
    // The designer's palette lists the catalogue's datasets: refresh it once loaded (a later first load is fresh anyway).
    const catalogue = useCatalogueStore();
    if (catalogue.catalogue) void catalogue.load(true);
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

  /** Converts a CSV file/folder or a folder of images per class into a new dataset; its info, or undefined on failure (then `errors[NEW_IMPORT]`). */
  async function importData(request: { format: DatasetImportFormat; source: string; name: string; inputShape?: [number, number, number] }): Promise<DatasetInfo | undefined> {
    let created: DatasetInfo | undefined;
    await act(NEW_IMPORT, 'import', async () => (created = await useClient()!.call('datasets.import', request)));
    return created;
  }

  function clearError(key: string): void {
    errors.value = { ...errors.value, [key]: undefined };
  }

  return { datasets, loading, loaded, error, busy, progress, errors, counts, load, handleEvent, download, importFolder, importData, clearError };
});

/** 0–100 for a progress bar, or undefined when the total is unknown. */
export function progressPercent(progress: DatasetProgress | undefined): number | undefined {
  if (!progress?.total) return undefined;
  return Math.min(100, Math.round((progress.loaded / progress.total) * 100));
}
