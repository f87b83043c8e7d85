/**
 * The documents of a project folder, their schemas, and the one loader that reads
 * any of them: parse, check the schema version, validate, or say exactly which
 * file is wrong and why. Nothing here writes.
 *
 *   project.json                 ProjectDocument     kind clwb-project
 *   experiments/<id>.json        ExperimentDocument  kind clwb-experiment
 *   runs/<runId>/spec.json       RunRecord           kind clwb-run
 *   runs/<runId>/result.json     ResultDocument      kind clwb-run-result
 *   runs/<runId>/events.ndjson   RunEvent per line (append-only)
 *   runs/<runId>/checkpoints/    state.json + state.bin (the latest checkpoint)
 */
import { promises as fs } from 'node:fs';
import type { RunResult } from '../../engine/run/result.ts';
import { checkSchema, ID_PATTERN, type ExperimentDocument, type ExperimentSpec, type ProjectDocument, type Schema } from '../api/contract.ts';

/** The schema version this build reads and writes for every project document. */
export const PROJECT_SCHEMA_VERSION = 1;

/** runs/<runId>/spec.json: what one run is, fixed when it is queued. */
export interface RunRecord {
  schemaVersion: 1;
  kind: 'clwb-run';
  id: string;
  experimentId: string;
  experimentName: string;
  strategyIndex: number;
  strategy: string;
  label: string;
  seed: number;
  /** The validated experiment spec (defaults filled in) at the time the run was queued. */
  spec: ExperimentSpec;
  specHash: string;
  /** tfjs backend asked for ('auto' or a name). */
  backend: string;
  createdAt: string;
}

/** runs/<runId>/result.json */
export interface ResultDocument {
  schemaVersion: 1;
  kind: 'clwb-run-result';
  result: RunResult;
}

const text: Schema = { type: 'string', minLength: 1, maxLength: 10_000 };
const time: Schema = { type: 'string', minLength: 1, maxLength: 64 };
const id: Schema = { type: 'string', pattern: ID_PATTERN };
const json: Schema = { type: 'json', maxDepth: 64 };

export const PROJECT_SCHEMA: Schema = {
  type: 'object',
  properties: {
    schemaVersion: { type: 'const', value: 1 },
    kind: { type: 'const', value: 'clwb-project' },
    id: text,
    name: text,
    description: { type: 'string', maxLength: 10_000 },
    createdAt: time,
    updatedAt: time,
  },
  required: ['schemaVersion', 'kind', 'id', 'name', 'createdAt', 'updatedAt'],
};

export const EXPERIMENT_DOCUMENT_SCHEMA: Schema = {
  type: 'object',
  properties: {
    schemaVersion: { type: 'const', value: 1 },
    kind: { type: 'const', value: 'clwb-experiment' },
    id,
    name: text,
    graph: json,
    spec: json,
    createdAt: time,
    updatedAt: time,
  },
  required: ['schemaVersion', 'kind', 'id', 'name', 'spec', 'createdAt', 'updatedAt'],
};

export const RUN_RECORD_SCHEMA: Schema = {
  type: 'object',
  properties: {
    schemaVersion: { type: 'const', value: 1 },
    kind: { type: 'const', value: 'clwb-run' },
    id,
    experimentId: id,
    experimentName: text,
    strategyIndex: { type: 'integer', minimum: 0 },
    strategy: text,
    label: text,
    seed: { type: 'integer', minimum: 0 },
    spec: { type: 'json', maxDepth: 32 },
    specHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    backend: text,
    createdAt: time,
  },
  required: ['schemaVersion', 'kind', 'id', 'experimentId', 'experimentName', 'strategyIndex', 'strategy', 'label', 'seed', 'spec', 'specHash', 'backend', 'createdAt'],
};

const matrix: Schema = { type: 'array', items: { type: 'array', items: { type: 'number' } } };

export const RESULT_DOCUMENT_SCHEMA: Schema = {
  type: 'object',
  properties: {
    schemaVersion: { type: 'const', value: 1 },
    kind: { type: 'const', value: 'clwb-run-result' },
    // The record itself is the engine's RunResult; the fields reports and summaries rely on are checked.
    result: {
      type: 'json',
      maxDepth: 16,
    },
  },
  required: ['schemaVersion', 'kind', 'result'],
};

const RESULT_FIELDS_SCHEMA: Schema = {
  type: 'object',
  properties: { id, strategy: text, label: text, seed: { type: 'integer', minimum: 0 }, accuracyMatrix: matrix, metrics: { type: 'object', properties: { acc: { type: 'number' } }, additionalProperties: true } },
  required: ['id', 'strategy', 'label', 'seed', 'accuracyMatrix', 'metrics'],
  additionalProperties: true,
};

/** A document that could not be used: the file and the reason, for FileProblem and errors. */
export class DocumentError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** True when the file does not exist (callers often treat that as "none"). */
    readonly missing = false,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'DocumentError';
  }
}

/**
 * Reads a JSON document and validates it. Throws {@link DocumentError} with the reason:
 * missing, unreadable, not JSON, another kind, a newer or older schema version, or
 * the first few schema problems with their field paths.
 */
export async function loadDocument<T>(file: string, schema: Schema, kind: string, extra?: (value: T) => string | undefined): Promise<T> {
  let body: string;
  try {
    body = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DocumentError(file, 'the file does not exist', true);
    throw new DocumentError(file, `it cannot be read (${code === 'EISDIR' ? 'it is a folder' : (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const torn = body.trim() === '' ? 'it is empty' : `it is not valid JSON (${(error as Error).message})`;
    throw new DocumentError(file, torn);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DocumentError(file, 'it is not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.kind !== kind) throw new DocumentError(file, `it is not a ${kind} document (kind is ${JSON.stringify(record.kind)})`);
  const version = record.schemaVersion;
  if (typeof version !== 'number') throw new DocumentError(file, 'it has no schemaVersion');
  if (version !== PROJECT_SCHEMA_VERSION) {
    throw new DocumentError(
      file,
      version > PROJECT_SCHEMA_VERSION
        ? `it was written by a newer CL Workbench (schema version ${version}; this version reads ${PROJECT_SCHEMA_VERSION})`
        : `it has schema version ${version}, which this version does not read (it reads ${PROJECT_SCHEMA_VERSION})`,
    );
  }
  const problems = checkSchema(schema, value);
  if (problems.length > 0) {
    throw new DocumentError(file, `it does not match the ${kind} schema: ${problems.slice(0, 3).map((p) => `${p.path} ${p.message}`).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
  }
  const reason = extra?.(value as T);
  if (reason) throw new DocumentError(file, reason);
  return value as T;
}

export function loadProjectDocument(file: string): Promise<ProjectDocument> {
  return loadDocument<ProjectDocument>(file, PROJECT_SCHEMA, 'clwb-project');
}

export function loadExperimentDocument(file: string, expectedId: string): Promise<ExperimentDocument> {
  return loadDocument<ExperimentDocument>(file, EXPERIMENT_DOCUMENT_SCHEMA, 'clwb-experiment', (doc) =>
    doc.id !== expectedId ? `its id "${doc.id}" does not match its file name (${expectedId}.json)` : undefined,
  );
}

export function loadRunRecord(file: string, expectedId: string): Promise<RunRecord> {
  return loadDocument<RunRecord>(file, RUN_RECORD_SCHEMA, 'clwb-run', (doc) => (doc.id !== expectedId ? `its id "${doc.id}" does not match its folder (${expectedId})` : undefined));
}

export function loadResultDocument(file: string, expectedId: string): Promise<ResultDocument> {
  return loadDocument<ResultDocument>(file, RESULT_DOCUMENT_SCHEMA, 'clwb-run-result', (doc) => {
    const problems = checkSchema(RESULT_FIELDS_SCHEMA, doc.result);
    if (problems.length > 0) return `its result is incomplete: ${problems.slice(0, 3).map((p) => `${p.path.replace('$', '$.result')} ${p.message}`).join('; ')}`;
    if (doc.result.id !== expectedId) return `its result belongs to run "${doc.result.id}", not ${expectedId}`;
    return undefined;
  });
}
