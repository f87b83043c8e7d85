/**
 * Inline checks of one form field against its definition (the same rules as the
 * engine's parameter schemas: type, integer, range, items), and the text ↔ list
 * conversions the list inputs use. The back end's validator stays the authority;
 * these give feedback while typing.
 */
import type { FieldDef } from '../types/fields.ts';
import type { DesignerNode, GraphProblem, Json } from '../types/graph.ts';
import { getPath } from './config-path.ts';

function range(field: FieldDef, value: number): string | undefined {
  if (field.minimum !== undefined) {
    if (field.exclusiveMinimum ? value <= field.minimum : value < field.minimum) return `must be ${field.exclusiveMinimum ? '>' : '≥'} ${field.minimum}`;
  }
  if (field.maximum !== undefined && value > field.maximum) return `must be ≤ ${field.maximum}`;
  return undefined;
}

/** What is wrong with `value` for `field`, or undefined (an unset optional field is fine). */
export function checkField(field: FieldDef, value: Json | undefined): string | undefined {
  if (value === undefined || value === null) return field.required ? 'is required' : undefined;
  switch (field.type) {
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (field.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
      return range(field, value);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be on or off';
    case 'enum':
      return typeof value === 'string' && (!field.values?.length || field.values.includes(value)) ? undefined : `must be one of ${field.values?.join(', ')}`;
    case 'enum[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string' && (!field.values || field.values.includes(item))) ? undefined : 'has an unknown choice';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be text';
    case 'integer[]':
    case 'number[]': {
      if (!Array.isArray(value)) return 'must be a list of numbers';
      if (field.minItems !== undefined && value.length < field.minItems) return `needs at least ${field.minItems} item(s)`;
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (typeof item !== 'number' || !Number.isFinite(item)) return `item ${i + 1} must be a number`;
        if (field.type === 'integer[]' && !Number.isInteger(item)) return `item ${i + 1} must be a whole number`;
        const problem = range(field, item);
        if (problem) return `item ${i + 1} ${problem}`;
      }
      return undefined;
    }
  }
}

/** Inline problems of every field of a block. */
export function checkNodeFields(node: DesignerNode, fields: FieldDef[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  for (const field of fields) {
    const message = checkField(field, getPath(node.config, field.key));
    if (message) problems.push({ nodeId: node.id, field: field.key, message: `${field.label} ${message}`, source: 'field' });
  }
  return problems;
}

/** "400, 400" → [400, 400]; text that is not a list of numbers → the text itself (reported by checkField). */
export function parseNumberList(text: string): number[] | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const parts = trimmed.split(/[\s,;]+/).filter(Boolean);
  const numbers = parts.map(Number);
  return numbers.every((n) => Number.isFinite(n)) ? numbers : trimmed;
}

export function formatNumberList(value: Json | undefined): string {
  return Array.isArray(value) ? value.join(', ') : typeof value === 'string' ? value : '';
}

/** The default of a field as the form shows it. */
export function defaultText(field: FieldDef): string {
  if (field.defaultText) return field.defaultText;
  if (field.default === undefined) return '';
  if (Array.isArray(field.default)) return field.default.join(', ');
  if (typeof field.default === 'boolean') return field.default ? 'on' : 'off';
  return field.valueLabels?.[String(field.default)] ?? String(field.default);
}
