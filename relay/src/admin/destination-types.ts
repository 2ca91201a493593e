/**
 * Destination settings as data, for forms written once: the WordPress admin app and the CLI's
 * `connect` both render a destination's settings from its zod schema (titles from `.meta({ title })`,
 * help from `.describe()`, secrets from `.meta({ secret: true })`).
 */
import { z } from 'zod';
import { secretKeys } from '../destinations/secrets.js';
import type { Destination } from '../destinations/types.js';

export interface SettingsField {
  name: string;
  title: string;
  description: string | null;
  type: 'string' | 'boolean' | 'number' | 'integer' | 'enum' | 'object';
  required: boolean;
  secret: boolean;
  enum?: string[];
  default?: unknown;
}

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
};

/** The settings' JSON Schema (2020-12, input side) with `secret: true` on every secret field. */
export function settingsJsonSchema(destination: Pick<Destination<unknown>, 'settings'>): JsonSchema {
  const schema = z.toJSONSchema(destination.settings, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  for (const key of secretKeys(destination.settings)) {
    const prop = schema.properties?.[key];
    if (prop) prop.secret = true;
  }
  return schema;
}

const humanize = (name: string) => name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** The settings as a flat, ordered field list. */
export function settingsFields(destination: Pick<Destination<unknown>, 'settings'>): SettingsField[] {
  const schema = settingsJsonSchema(destination);
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const enumValues = Array.isArray(p.enum) ? p.enum.map(String) : undefined;
    const t = p.type;
    const type: SettingsField['type'] = enumValues
      ? 'enum'
      : t === 'boolean' || t === 'number' || t === 'integer' || t === 'string'
        ? t
        : 'object';
    const field: SettingsField = {
      name,
      title: typeof p.title === 'string' ? p.title : humanize(name),
      description: typeof p.description === 'string' ? p.description : null,
      type,
      required: required.has(name) && p.default === undefined,
      secret: p.secret === true,
    };
    if (enumValues) field.enum = enumValues;
    if (p.default !== undefined) field.default = p.default;
    return field;
  });
}
