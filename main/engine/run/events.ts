/**
 * What a run reports while it works (DESIGN.md "Run"). Every event is a plain,
 * NDJSON-able object; the same messages cross the worker boundary and are appended
 * to the run's event log.
 */
import type { ErrorCode, ErrorDetails } from '../errors.ts';
import type { Metrics } from '../metrics/index.ts';

interface EventBase {
  runId: string;
  /** ISO time. */
  time: string;
}

export type RunEvent =
  | (EventBase & { type: 'started'; strategy: string; label: string; seed: number; backend: string; device: string; experiences: number; resumedFrom?: number })
  | (EventBase & {
      type: 'progress';
      experience: number;
      experiences: number;
      epoch: number;
      step: number;
      steps: number;
      loss: number;
      samplesPerSecond: number;
      /** Fraction of the run done, in [0, 1]. */
      fraction: number;
      etaSeconds: number | null;
      tensorBytes: number;
    })
  | (EventBase & { type: 'evaluation'; experience: number; accuracies: number[]; taskAccuracies?: number[] })
  | (EventBase & { type: 'checkpoint'; experience: number })
  | (EventBase & { type: 'finished'; metrics: Metrics; taskMetrics?: Metrics })
  | (EventBase & { type: 'failed'; error: { code: ErrorCode; message: string; details?: ErrorDetails } });

export type RunEventType = RunEvent['type'];

/** An event before the run id and time are stamped on it. */
export type RunEventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'time'> : never) : never;
