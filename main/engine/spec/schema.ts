/**
 * A small, serialisable parameter-schema language. The strategy catalogue, the
 * experiment validator and the UI's generated property forms all read it, so a
 * canvas block maps to exactly one catalogue entry with typed, ranged parameters.
 */

export interface BaseParam {
  description: string;
  /** Optional unit or hint shown next to the input, e.g. "samples". */
  unit?: string;
}

export interface NumberParam extends BaseParam {
  type: 'number' | 'integer';
  default: number;
  minimum?: number;
  maximum?: number;
  /** When true, `minimum` itself is not allowed (e.g. a learning rate > 0). */
  exclusiveMinimum?: boolean;
  /** Hint for UIs: a log-scale slider (regularisation strengths span decades). */
  logScale?: boolean;
}

export interface BooleanParam extends BaseParam {
  type: 'boolean';
  default: boolean;
}

export interface EnumParam extends BaseParam {
  type: 'enum';
  values: string[];
  default: string;
}

export interface IntegerListParam extends BaseParam {
  type: 'integer[]';
  default: number[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
}

export type ParamSchema = NumberParam | BooleanParam | EnumParam | IntegerListParam;
export type ParamSchemas = Record<string, ParamSchema>;
export type ParamValue = number | boolean | string | number[];
export type ParamValues = Record<string, ParamValue>;

export interface Problem {
  path: string;
  message: string;
}

/** Collects problems with their field paths while a document is walked. */
export class ProblemList {
  readonly items: Problem[] = [];

  add(path: string, message: string): void {
    this.items.push({ path, message });
  }

  get empty(): boolean {
    return this.items.length === 0;
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Checks one value against its schema; returns the problem message or undefined. */
export function checkParam(schema: ParamSchema, value: unknown): string | undefined {
  switch (schema.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number, got ${describeValue(value)}`;
      if (schema.type === 'integer' && !Number.isInteger(value)) return `must be an integer, got ${value}`;
      return checkRange(schema, value);
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${describeValue(value)}`;
    case 'enum':
      return typeof value === 'string' && schema.values.includes(value)
        ? undefined
        : `must be one of ${schema.values.map((v) => `"${v}"`).join(', ')}, got ${describeValue(value)}`;
    case 'integer[]': {
      if (!Array.isArray(value)) return `must be an array of integers, got ${describeValue(value)}`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `must have at least ${schema.minItems} item(s)`;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== 'number' || !Number.isInteger(item)) return `item ${i} must be an integer, got ${describeValue(item)}`;
        const range = checkRange(schema, item);
        if (range) return `item ${i} ${range}`;
      }
      return undefined;
    }
  }
}

function checkRange(schema: { minimum?: number; maximum?: number; exclusiveMinimum?: boolean }, value: number): string | undefined {
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
      return `must be ${schema.exclusiveMinimum ? '>' : '>='} ${schema.minimum}, got ${value}`;
    }
  }
  if (schema.maximum !== undefined && value > schema.maximum) return `must be <= ${schema.maximum}, got ${value}`;
  return undefined;
}

/**
 * Validates `values` (may be undefined) against `schemas`, reporting unknown keys and bad
 * values under `path`, and returns the complete parameter set with defaults filled in.
 */
export function resolveParams(schemas: ParamSchemas, values: unknown, path: string, problems: ProblemList): ParamValues {
  const resolved: ParamValues = {};
  for (const [key, schema] of Object.entries(schemas)) resolved[key] = structuredClone(schema.default);
  if (values === undefined) return resolved;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    problems.add(path, `must be an object, got ${describeValue(values)}`);
    return resolved;
  }
  for (const [key, value] of Object.entries(values)) {
    const schema = schemas[key];
    if (!schema) {
      const known = Object.keys(schemas);
      problems.add(`${path}.${key}`, `unknown parameter${known.length ? ` (known: ${known.join(', ')})` : ' (this strategy takes none)'}`);
      continue;
    }
    const message = checkParam(schema, value);
    if (message) problems.add(`${path}.${key}`, message);
    else resolved[key] = value as ParamValue;
  }
  return resolved;
}
