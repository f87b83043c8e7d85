// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatasetInfo, ProjectState } from '../../main/workbench/api/contract.ts';
import App from '../../renderer/src/App.vue';
import { setClient } from '../../renderer/src/composables/useClient.ts';
import { useDatasetsStore } from '../../renderer/src/stores/datasets.ts';
import { useRunsStore } from '../../renderer/src/stores/runs.ts';
import { formatHash, parseHash, useUiStore } from '../../renderer/src/stores/ui.ts';
import DatasetsView from '../../renderer/src/views/DatasetsView.vue';
import { CATALOGUE, fakeBackend, FakeError, runSummary, type FakeBackend } from './renderer-fixtures.ts';

vi.mock('../../renderer/src/composables/useEChart.ts', () => ({ useEChart: () => undefined }));

const PROJECT: ProjectState = {
  path: '/home/me/project',
  project: { schemaVersion: 1, kind: 'clwb-project', id: 'p', name: 'Sample project', createdAt: 't', updatedAt: 't' },
  experiments: [],
  runs: [runSummary({ id: 'r1', status: 'running' })],
  resumable: [],
  problems: [{ path: '/home/me/project/runs/x/spec.json', reason: 'not JSON' }],
};

let backend: FakeBackend;
let datasets: DatasetInfo[];

beforeEach(() => {
  setActivePinia(createPinia());
  localStorage.clear();
  document.documentElement.className = '';
  datasets = structuredClone(CATALOGUE.datasets);
  backend = fakeBackend({
    'app.info': () => ({ host: 'serve', appVersion: '0.1.0', contractVersion: 1, versions: { node: '20' }, platform: 'linux', arch: 'x64' }),
    'projects.current': () => PROJECT,
    'projects.recent': () => [],
    'catalogue.get': () => CATALOGUE,
    'catalogue.recipes': () => [],
    'datasets.list': () => datasets,
    'datasets.download': ({ id }) => {
      throw new FakeError('DATASET_DOWNLOAD', `Could not reach the server for ${id}: put the files in /cache/${id} by hand`);
    },
    'datasets.import': ({ id }) => ({ ...datasets.find((d) => d.id === id)!, available: true, missing: [] }),
  });
  setClient(backend.client);
});

afterEach(() => setClient(undefined));

describe('the shell', () => {
  it('shows the project, its unreadable files, the views with a running-runs badge, and the host', async () => {
    const wrapper = mount(App, { global: { stubs: { DesignerView: { template: '<div data-testid="designer-stub" />' }, RunsView: { template: '<div data-testid="runs-stub" />' } } } });
    await flushPromises();
    expect(wrapper.get('[data-testid="project-name"]').text()).toBe('Sample project');
    expect(wrapper.get('[data-testid="problems"]').text()).toContain('not JSON');
    expect(wrapper.get('[data-testid="backend"]').text()).toContain('Host: serve');
    expect(wrapper.get('[data-testid="active-runs"]').text()).toBe('1');
    expect(useRunsStore().runs.map((r) => r.id)).toEqual(['r1']);
    expect(wrapper.find('[data-testid="designer-stub"]').exists()).toBe(true);
    await wrapper.get('[data-testid="nav-runs"]').trigger('click');
    expect(useUiStore().view).toBe('runs');
    expect(wrapper.find('[data-testid="runs-stub"]').exists()).toBe(true);
    expect(location.hash).toBe('#/runs');
    expect(wrapper.get('[data-testid="nav-runs"]').attributes('aria-current')).toBe('page');
    wrapper.unmount();
  });

  it('switches between the light and dark themes and remembers the choice', async () => {
    const wrapper = mount(App, { global: { stubs: { DesignerView: true } } });
    await flushPromises();
    const start = document.documentElement.classList.contains('dark');
    await wrapper.get('[data-testid="theme-toggle"]').trigger('click');
    expect(document.documentElement.classList.contains('dark')).toBe(!start);
    expect(localStorage.getItem('clwb.theme')).toBe(start ? 'light' : 'dark');
    wrapper.unmount();
  });

  it('says what to do with no back end', async () => {
    setClient(undefined);
    const wrapper = mount(App);
    await flushPromises();
    expect(wrapper.text()).toContain('No back end');
    expect(wrapper.get('[data-testid="backend"]').text()).toContain('No desktop backend');
    wrapper.unmount();
  });

  it('reads and writes the view and experiment in the URL hash', () => {
    expect(parseHash('#/compare/split%20mnist')).toEqual({ view: 'compare', id: 'split mnist' });
    expect(parseHash('#/nonsense')).toEqual({ view: 'designer' });
    expect(parseHash('')).toEqual({ view: 'designer' });
    expect(formatHash('designer', 'a b')).toBe('#/designer/a%20b');
  });
});

describe('the datasets view', () => {
  it('lists datasets by status, shows download errors with their code, and imports from a folder', async () => {
    const wrapper = mount(DatasetsView, { attachTo: document.body });
    await flushPromises();
    const store = useDatasetsStore();
    expect(wrapper.get('[data-testid="dataset-status-mnist-bundled"]').text()).toBe('Bundled');
    expect(wrapper.get('[data-testid="dataset-status-mnist"]').text()).toBe('Not downloaded');
    expect(wrapper.text()).toContain('Missing: train-images-idx3-ubyte');
    expect(wrapper.text()).toContain('2 bundled · 0 in the cache · 1 not downloaded');

    // Download progress arrives as events; a failure stays on its row with its code.
    store.handleEvent({ type: 'dataset.progress', id: 'mnist', progress: { phase: 'download', loaded: 5e6, total: 1e7 } });
    await wrapper.get('button[aria-label="Download MNIST"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="error-notice"]').attributes('data-code')).toBe('DATASET_DOWNLOAD');
    expect(wrapper.text()).toContain('put the files in /cache/mnist by hand');

    await wrapper.get('button[aria-label="Import MNIST from a folder"]').trigger('click');
    await flushPromises();
    const folder = document.querySelector('[data-testid="import-folder"]') as HTMLInputElement;
    folder.value = '/data/mnist';
    folder.dispatchEvent(new Event('input'));
    folder.dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter' }));
    await flushPromises();
    expect(backend.calls.at(-1)).toEqual({ verb: 'datasets.import', request: { id: 'mnist', folder: '/data/mnist' } });
    expect(store.datasets.find((d) => d.id === 'mnist')?.available).toBe(true);
    expect(wrapper.get('[data-testid="dataset-status-mnist"]').text()).toBe('In the cache');
    wrapper.unmount();
  });
});
