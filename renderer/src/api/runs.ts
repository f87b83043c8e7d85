/**
 * Keeping a list of run summaries current from the event stream: `run.status`
 * replaces a run's summary; `run.event` progress ticks update it in between
 * (the back end sends no status for every tick). Pure functions, for any store.
 */
import type { ApiEvent, RunSummary } from '../../../main/workbench/api/contract.ts';

/** Inserts or replaces `run` (by id), keeping creation order. */
export function mergeRun(runs: RunSummary[], run: RunSummary): RunSummary[] {
  const index = runs.findIndex((item) => item.id === run.id);
  if (index < 0) return [...runs, run].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const next = runs.slice();
  next[index] = run;
  return next;
}

/** The list after one event (unchanged for events about other things). */
export function applyRunEvent(runs: RunSummary[], event: ApiEvent): RunSummary[] {
  if (event.type === 'run.status') return mergeRun(runs, event.run);
  if (event.type !== 'run.event') return runs;
  const index = runs.findIndex((item) => item.id === event.runId);
  if (index < 0) return runs;
  const run = { ...runs[index], events: runs[index].events + 1 };
  const body = event.event;
  if (body.type === 'progress') {
    run.progress = {
      experience: body.experience,
      experiences: body.experiences,
      epoch: body.epoch,
      step: body.step,
      steps: body.steps,
      loss: body.loss,
      samplesPerSecond: body.samplesPerSecond,
      fraction: body.fraction,
      etaSeconds: body.etaSeconds,
    };
  }
  const next = runs.slice();
  next[index] = run;
  return next;
}
