// @vitest-environment happy-dom
// The Datasets view's Import… dialog: CSV and image folders become new datasets; errors stay in the dialog with their code.
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetInfo } from '../../main/workbench/api/contract.ts';
import { setClient } from '../../renderer/src/composables/useClient.ts';
import { useCatalogueStore } from '../../renderer/src/stores/catalogue.ts';
import { parseShape, useDatasetsStore } from '../../renderer/src/stores/datasets.ts';
import DatasetsView from '../../renderer/src/views/DatasetsView.vue';
import { CATALOGUE, fakeBackend, FakeError, type FakeBackend } from './renderer-fixtures.ts';

const IMPORTED: DatasetInfo = {
  id: 'user-my-digits',
  name: 'My digits',
  description: 'Imported from csv /data/digits.csv: 32 train / 8 test samples.',
  inputShape: [2, 2, 1],
  numClasses: 4,
  bundled: false,
  available: true,
  downloadable: false,
  importable: false,
  imported: true,
  folder: '/cache/imported/user-my-digits',
};

let backend: FakeBackend;
let catalogueCalls = 0;

beforeEach(() => {
  setActivePinia(createPinia());
  catalogueCalls = 0;
  backend = fakeBackend({
    'catalogue.get': () => {
      catalogueCalls++;
      return CATALOGUE;
    },
    'catalogue.recipes': () => [],
    'datasets.list': () => structuredClone(CATALOGUE.datasets),
    'datasets.import': (request) => {
      const { source } = request as { source: string };
      if (source.endsWith('ragged.csv')) throw new FakeError('DATASET_CORRUPT', `${source}:4: ragged row: 3 columns where the first row has 5`);
      return IMPORTED;
    },
  });
  setClient(backend.client);
});

afterEach(() => {
  setClient(undefined);
  document.body.innerHTML = '';
});

function type(testId: string, value: string): void {
  const input = document.querySelector(`[data-testid="${testId}"]`) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event('input'));
}

describe('the datasets import dialog', () => {
  it('imports a CSV file as a new dataset, shows an error inline with its code, and refreshes the palette catalogue', async () => {
    await useCatalogueStore().load();
    const wrapper = mount(DatasetsView, { attachTo: document.body });
    await flushPromises();
    await wrapper.get('[data-testid="import-new"]').trigger('click');
    await flushPromises();
    expect(document.querySelector('[data-testid="import-dialog"]')).not.toBeNull();

    type('import-folder', '/data/ragged.csv');
    type('import-name', 'My digits');
    type('import-shape', '2x');
    await flushPromises();
    expect(document.querySelector('[data-testid="import-shape-error"]')).not.toBeNull();
    type('import-shape', '2x2x1');
    await flushPromises();
    expect(document.querySelector('[data-testid="import-shape-error"]')).toBeNull();

    (document.querySelector('[data-testid="import-run"]') as HTMLButtonElement).click();
    await flushPromises();
    expect(backend.calls.at(-1)).toEqual({ verb: 'datasets.import', request: { format: 'csv', source: '/data/ragged.csv', name: 'My digits', inputShape: [2, 2, 1] } });
    const notice = document.querySelector('[data-testid="import-dialog"] [data-testid="error-notice"]');
    expect(notice?.getAttribute('data-code')).toBe('DATASET_CORRUPT');
    expect(notice?.textContent).toContain('ragged row');

    type('import-folder', '/data/digits.csv');
    await flushPromises();
    (document.querySelector('[data-testid="import-run"]') as HTMLButtonElement).click();
    await flushPromises();
    const store = useDatasetsStore();
    expect(store.datasets.map((d) => d.id)).toContain('user-my-digits');
    expect(wrapper.get('[data-testid="dataset-status-user-my-digits"]').text()).toBe('Imported');
    expect(wrapper.get('[data-testid="import-created"]').text()).toContain('user-my-digits');
    expect(wrapper.text()).toContain('1 imported');
    // The designer palette reads the catalogue: it was fetched again.
    expect(catalogueCalls).toBe(2);
    expect(useCatalogueStore().catalogue).toBeDefined();
    wrapper.unmount();
  });

  it('parses shapes', () => {
    expect(parseShape('28x28x1')).toEqual([28, 28, 1]);
    expect(parseShape('32 × 32 × 3')).toEqual([32, 32, 3]);
    expect(parseShape('28x28')).toBeUndefined();
    expect(parseShape('0x1x1')).toBeUndefined();
  });
});
