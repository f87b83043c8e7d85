/**
 * A run's chart data, built from its events (the stored log first, then live ones):
 * loss, samples/s and tensor memory against the run's progress, the accuracy matrix
 * row by row, and the event log. Plain mutable objects kept outside Vue's reactivity
 * (a revision counter tells the charts to redraw), so thousands of points stay cheap.
 */
import type { RunEvent } from '../../../main/workbench/api/contract.ts';

type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

/** [x, y] where x is the run's progress in percent. */
export type Point = [number, number];

export interface RunSeries {
  runId: string;
  loss: Point[];
  samplesPerSecond: Point[];
  memory: Point[];
  /** Row i: accuracy on every test experience after training experience i (class-IL). */
  evaluations: (number[] | undefined)[];
  taskEvaluations: (number[] | undefined)[];
  experiences?: number;
  started?: Of<'started'>;
  finished?: Of<'finished'>;
  failed?: Of<'failed'>;
  lastProgress?: Of<'progress'>;
  /** The newest events (at most LOG_LIMIT). */
  log: RunEvent[];
  /** Events seen (for de-duplicating the stored log against live ones). */
  keys: Set<string>;
  /** Whether the stored log has been read. */
  historyLoaded: boolean;
}

/** Points kept per line: older ones are thinned (every other one dropped) beyond this. */
export const POINT_LIMIT = 4000;
export const LOG_LIMIT = 2000;

export function createSeries(runId: string): RunSeries {
  return { runId, loss: [], samplesPerSecond: [], memory: [], evaluations: [], taskEvaluations: [], log: [], keys: new Set(), historyLoaded: false };
}

/** Identifies an event across the stored log and the live stream. */
export function eventKey(event: RunEvent): string {
  switch (event.type) {
    case 'progress':
      return `p|${event.time}|${event.experience}|${event.epoch}|${event.step}`;
    case 'evaluation':
    case 'checkpoint':
      return `${event.type}|${event.time}|${event.experience}`;
    default:
      return `${event.type}|${event.time}`;
  }
}

function pushPoint(points: Point[], point: Point): void {
  // A resumed run restarts from its checkpoint: drop the points it will redo.
  while (points.length && points[points.length - 1][0] > point[0]) points.pop();
  points.push(point);
  if (points.length > POINT_LIMIT) {
    const thinned = points.filter((_, index) => index % 2 === 0 || index === points.length - 1);
    points.length = 0;
    points.push(...thinned);
  }
}

/** Adds one event; returns false when it was seen before. */
export function addEvent(series: RunSeries, event: RunEvent): boolean {
  const key = eventKey(event);
  if (series.keys.has(key)) return false;
  series.keys.add(key);
  series.log.push(event);
  if (series.log.length > LOG_LIMIT * 1.25) series.log.splice(0, series.log.length - LOG_LIMIT);
  switch (event.type) {
    case 'started':
      series.started = event;
      series.experiences = event.experiences;
      series.failed = undefined;
      break;
    case 'progress': {
      const x = Math.round(event.fraction * 100000) / 1000;
      series.experiences = event.experiences;
      series.lastProgress = event;
      if (Number.isFinite(event.loss)) pushPoint(series.loss, [x, event.loss]);
      if (Number.isFinite(event.samplesPerSecond) && event.samplesPerSecond > 0) pushPoint(series.samplesPerSecond, [x, event.samplesPerSecond]);
      if (Number.isFinite(event.tensorBytes)) pushPoint(series.memory, [x, event.tensorBytes]);
      break;
    }
    case 'evaluation':
      series.evaluations[event.experience] = event.accuracies;
      if (event.taskAccuracies) series.taskEvaluations[event.experience] = event.taskAccuracies;
      break;
    case 'finished':
      series.finished = event;
      break;
    case 'failed':
      series.failed = event;
      break;
    case 'checkpoint':
      break;
  }
  return true;
}

/** A series from the stored log, with the live events that arrived meanwhile added after it. */
export function seriesFromHistory(runId: string, history: RunEvent[], live: RunEvent[]): RunSeries {
  const series = createSeries(runId);
  for (const event of history) addEvent(series, event);
  for (const event of live) addEvent(series, event);
  series.historyLoaded = true;
  return series;
}

/** The accuracy matrix so far (rows for the experiences trained). */
export function accuracyMatrix(series: RunSeries, task = false): number[][] {
  return (task ? series.taskEvaluations : series.evaluations).filter((row): row is number[] => Array.isArray(row));
}

/** Mean accuracy over the experiences seen so far, after each trained experience. */
export function seenAccuracy(series: RunSeries): (number | null)[] {
  return series.evaluations.map((row, i) => {
    if (!row) return null;
    const seen = row.slice(0, i + 1);
    return seen.reduce((a, b) => a + b, 0) / seen.length;
  });
}
