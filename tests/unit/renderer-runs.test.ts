// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvent, RunEvent } from '../../main/workbench/api/contract.ts';
import RunCharts from '../../renderer/src/components/runs/RunCharts.vue';
import RunQueue from '../../renderer/src/components/runs/RunQueue.vue';
import RunDetails from '../../renderer/src/components/runs/RunDetails.vue';
import { setClient } from '../../renderer/src/composables/useClient.ts';
import { queueOrder, useRunsStore } from '../../renderer/src/stores/runs.ts';
import { fakeBackend, FakeError, runSummary, type FakeBackend } from './renderer-fixtures.ts';

// ECharts' canvas renderer does not run in happy-dom: the charts get their options, not a canvas.
const charts = vi.hoisted(() => ({ options: new Map<string, unknown>() }));
vi.mock('../../renderer/src/composables/useEChart.ts', () => ({
  useEChart: (_element: unknown, option: { value: unknown }) => charts.options.set(String(Math.random()), option),
}));

let backend: FakeBackend;
const time = (second: number) => `2026-01-01T10:00:${String(second).padStart(2, '0')}.000Z`;

function progress(runId: string, second: number, fraction: number, loss: number): ApiEvent {
  return {
    type: 'run.event',
    runId,
    experimentId: 'exp',
    event: { type: 'progress', runId, time: time(second), experience: Math.floor(fraction * 3), experiences: 3, epoch: 0, step: second, steps: 10, loss, samplesPerSecond: 500, fraction, etaSeconds: 30, tensorBytes: 2e6 },
  };
}

function evaluation(runId: string, second: number, experience: number, accuracies: number[]): ApiEvent {
  return { type: 'run.event', runId, experimentId: 'exp', event: { type: 'evaluation', runId, time: time(second), experience, accuracies } };
}

beforeEach(() => {
  setActivePinia(createPinia());
  charts.options.clear();
  backend = fakeBackend({
    'runs.events': ({ runId }) => ({ events: [{ type: 'started', runId, time: time(0), strategy: 'replay', label: 'Replay', seed: 0, backend: 'wasm', device: 'CPU', experiences: 3 } as RunEvent], total: 1, tornLastLine: false }),
    'runs.cancel': ({ runId }) => runSummary({ id: runId, status: 'cancelled', resumable: true }),
    'runs.resume': () => {
      throw new FakeError('CONFLICT', 'Run r2 is already queued or running');
    },
  });
  setClient(backend.client);
});

afterEach(() => setClient(undefined));

describe('the runs store', () => {
  it('batches events per frame: nothing changes until the frame, then everything at once', () => {
    const runs = useRunsStore();
    const frames: (() => void)[] = [];
    runs.setFrameScheduler((callback) => frames.push(callback));
    runs.setRuns([runSummary({ id: 'r1', status: 'running', label: 'Replay' })]);
    const revision = runs.revision;
    for (let i = 1; i <= 50; i++) runs.handleEvent(progress('r1', i % 60, i / 100, 2 - i / 50));
    expect(frames).toHaveLength(1);
    expect(runs.revision).toBe(revision);
    frames[0]();
    expect(runs.revision).toBe(revision + 1);
    expect(runs.seriesOf('r1').loss).toHaveLength(50);
    expect(runs.byId.get('r1')?.progress?.fraction).toBe(0.5);
    expect(runs.byId.get('r1')?.events).toBe(50);
  });

  it('builds the accuracy matrix from evaluation events and adds runs that start', () => {
    const runs = useRunsStore();
    runs.setFrameScheduler((callback) => callback());
    runs.setRuns([]);
    runs.handleEvent({ type: 'run.status', run: runSummary({ id: 'r1', status: 'running' }) });
    runs.handleEvent(evaluation('r1', 5, 0, [0.9, 0.1, 0.1]));
    runs.handleEvent(evaluation('r1', 9, 1, [0.6, 0.92, 0.1]));
    expect(runs.runs.map((r) => r.id)).toEqual(['r1']);
    expect(runs.selected).toEqual(['r1']);
    expect(runs.seriesOf('r1').evaluations).toEqual([
      [0.9, 0.1, 0.1],
      [0.6, 0.92, 0.1],
    ]);
  });

  it('reads a run’s stored log once and merges the live events that came meanwhile', async () => {
    const runs = useRunsStore();
    runs.setFrameScheduler((callback) => callback());
    runs.setRuns([runSummary({ id: 'r1', status: 'running' })]);
    runs.handleEvent(progress('r1', 3, 0.1, 1.5));
    await runs.loadHistory('r1');
    await runs.loadHistory('r1');
    expect(backend.calls.filter((c) => c.verb === 'runs.events')).toHaveLength(1);
    const series = runs.seriesOf('r1');
    expect(series.started?.backend).toBe('wasm');
    expect(series.loss).toEqual([[10, 1.5]]);
  });

  it('orders the queue: running, queued by position, then the newest', () => {
    const ordered = queueOrder([
      runSummary({ id: 'old', status: 'finished', createdAt: time(1) }),
      runSummary({ id: 'q2', status: 'queued', queuePosition: 1 }),
      runSummary({ id: 'new', status: 'failed', createdAt: time(5) }),
      runSummary({ id: 'run', status: 'running' }),
      runSummary({ id: 'q1', status: 'queued', queuePosition: 0 }),
    ]);
    expect(ordered.map((r) => r.id)).toEqual(['run', 'q1', 'q2', 'new', 'old']);
  });
});

describe('the queue (DOM)', () => {
  it('shows progress, ETA, errors with their code, and acts on runs', async () => {
    const runs = useRunsStore();
    runs.setFrameScheduler((callback) => callback());
    runs.setRuns([
      runSummary({ id: 'r1', status: 'running', label: 'Replay', progress: { experience: 1, experiences: 3, epoch: 0, step: 4, steps: 10, loss: 0.5, samplesPerSecond: 1200, fraction: 0.45, etaSeconds: 75, tensorBytes: 1 } as never }),
      runSummary({ id: 'r2', status: 'failed', label: 'EWC', resumable: true, error: { code: 'WORKER_EXITED', message: 'The worker ran out of memory', reason: 'oom' }, checkpoint: { completed: 2 } }),
      runSummary({ id: 'r3', status: 'finished', label: 'Naive', metrics: { acc: 0.42 } as never }),
    ]);
    const wrapper = mount(RunQueue);
    const rows = wrapper.findAll('[data-testid="run-row"]');
    expect(rows.map((row) => row.attributes('data-status'))).toEqual(['running', 'failed', 'finished']);
    expect(rows[0].text()).toContain('Running');
    expect(rows[0].text()).toContain('45 %');
    expect(rows[0].text()).toContain('exp 2/3');
    expect(rows[0].text()).toContain('ETA 1 min 15 s');
    expect(rows[0].get('[role="progressbar"]').attributes('aria-valuenow')).toBe('45');
    // The error sits on its run, with its code and the worker's reason.
    const error = rows[1].get('[data-testid="run-error"]');
    expect(error.text()).toContain('WORKER_EXITED');
    expect(error.text()).toContain('ran out of memory');
    expect(error.text()).toContain('oom');
    expect(rows[1].text()).toContain('Resume from exp 3');
    expect(rows[2].get('[data-testid="run-acc"]').text()).toBe('ACC 0.420');

    await rows[0].get('button[aria-label="Cancel Replay seed 0"]').trigger('click');
    await flushPromises();
    expect(backend.calls.at(-1)).toEqual({ verb: 'runs.cancel', request: { runId: 'r1' } });
    expect(runs.byId.get('r1')?.status).toBe('cancelled');
    // A refused action shows its code on the row.
    await wrapper.get('button[aria-label="Resume EWC seed 0"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-run-id="r2"] [data-testid="run-action-error"]').text()).toContain('CONFLICT');
  });

  it('says what to do when there are no runs', () => {
    useRunsStore().setRuns([]);
    expect(mount(RunQueue).get('[data-testid="runs-empty"]').text()).toContain('Press Run');
  });
});

describe('the live charts (DOM)', () => {
  it('fill with the selected runs’ points as events arrive', async () => {
    const runs = useRunsStore();
    const frames: (() => void)[] = [];
    runs.setFrameScheduler((callback) => frames.push(callback));
    runs.setRuns([runSummary({ id: 'r1', status: 'running', label: 'Replay' }), runSummary({ id: 'r2', status: 'running', label: 'EWC' })]);
    const wrapper = mount(RunCharts);
    const points = (chart: string) => Number(wrapper.get(`[data-testid="${chart}"]`).attributes('data-points'));
    expect(points('chart-loss')).toBe(0);
    expect(wrapper.get('[data-testid="chart-loss"]').text()).toContain('Waiting for the first events');

    for (let i = 1; i <= 10; i++) {
      runs.handleEvent(progress('r1', i, i / 20, 1 / i));
      runs.handleEvent(progress('r2', i, i / 25, 2 / i));
    }
    runs.handleEvent(evaluation('r1', 30, 0, [0.95, 0.1, 0.1]));
    // Nothing is drawn before the frame; one frame draws it all.
    await flushPromises();
    expect(points('chart-loss')).toBe(0);
    frames.shift()!();
    await flushPromises();
    expect(points('chart-loss')).toBe(20);
    expect(points('chart-throughput')).toBe(20);
    expect(points('chart-memory')).toBe(20);
    expect(points('chart-accuracy')).toBe(1);
    expect(points('chart-matrix')).toBe(3);
    expect(wrapper.get('[data-testid="charts-legend"]').text()).toContain('Replay · s0');
    expect(wrapper.get('[data-testid="charts-legend"]').text()).toContain('EWC · s0');
  });
});

describe('run details', () => {
  it("shows the run's own spec from runs.get (as queued), not the experiment's current one", async () => {
    backend.handlers['runs.get'] = ({ runId }) => ({
      id: runId, experimentId: 'exp', experimentName: 'E', strategy: 'replay', label: 'Replay', seed: 3,
      spec: { name: 'as queued', seeds: [3] }, specHash: 'h', backend: 'auto', createdAt: time(0),
    } as never);
    const runs = useRunsStore();
    runs.setFrameScheduler((callback) => callback());
    runs.setRuns([runSummary({ id: 'r7', status: 'running', label: 'Replay' })]);
    runs.focus('r7');
    const wrapper = mount(RunDetails, { attachTo: document.body });
    await flushPromises();
    expect(backend.calls.filter((c) => c.verb === 'runs.get')).toEqual([{ verb: 'runs.get', request: { runId: 'r7' } }]);
    expect(backend.calls.some((c) => c.verb === 'experiments.get')).toBe(false);
    expect(wrapper.get('[data-testid="run-spec"]').text()).toContain('as queued');
    wrapper.unmount();
  });
});
