/** Reading and writing a block config by dotted path (`optimizer.lr`), without mutating it. */
import type { Json, JsonObject } from '../types/graph.ts';

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path`, or undefined. */
export function getPath(config: JsonObject, path: string): Json | undefined {
  let value: Json | undefined = config;
  for (const part of path.split('.')) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

/** A copy of `config` with `path` set to `value` (or removed when `value` is undefined; emptied parents go too). */
export function setPath(config: JsonObject, path: string, value: Json | undefined): JsonObject {
  const [head, ...rest] = path.split('.');
  const next: JsonObject = { ...config };
  if (rest.length === 0) {
    if (value === undefined) delete next[head];
    else next[head] = value;
    return next;
  }
  const child = isObject(config[head]) ? (config[head] as JsonObject) : {};
  const updated = setPath(child, rest.join('.'), value);
  if (Object.keys(updated).length === 0) delete next[head];
  else next[head] = updated;
  return next;
}

/** A deep copy of plain JSON. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Deep equality of plain JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

export { isObject };
