/**
 * A field of a block's properties form. Strategy parameters come from the catalogue's
 * parameter schemas (utils/fields.ts converts them); the other blocks' fields follow
 * the experiment file's table in README.md.
 */
import type { Json, JsonObject } from './graph.ts';

export type FieldType = 'number' | 'integer' | 'boolean' | 'enum' | 'enum[]' | 'integer[]' | 'number[]' | 'string';

export interface FieldDef {
  /** Path inside the block's config: `experiences`, `optimizer.lr`, `params.memorySize`. */
  key: string;
  label: string;
  type: FieldType;
  description: string;
  /** The value used when the field is not set (shown as a placeholder). */
  default?: Json;
  /** Says what the default is when it depends on other settings. */
  defaultText?: string;
  minimum?: number;
  maximum?: number;
  /** `minimum` itself is not allowed (a learning rate > 0). */
  exclusiveMinimum?: boolean;
  minItems?: number;
  /** Enum values, and how to show them. */
  values?: string[];
  valueLabels?: Record<string, string>;
  unit?: string;
  /** Regularisation strengths span decades. */
  logScale?: boolean;
  /** Must be set: the form shows no "unset" state and the compiler reports it missing. */
  required?: boolean;
  /** Shown (and compiled) only when it applies to the rest of the block's settings. */
  when?: (config: JsonObject) => boolean;
  /** What the form shows in a group heading above this field. */
  group?: string;
}
