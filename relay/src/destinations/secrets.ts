/**
 * Finds the secret values in a destination's settings, so they can be censored from anything
 * stored or logged (a platform may echo a token back in an error message).
 */
import type { z } from 'zod';

const SECRET_NAME = /token|secret|password|key/i;

interface Introspectable {
  meta?: () => Record<string, unknown> | undefined;
  _zod?: { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown>; in?: unknown } };
}

function isMarkedSecret(schema: unknown): boolean {
  // `.meta({ secret: true })` may sit under .optional()/.default()/.nullable() wrappers.
  let s = schema as Introspectable | undefined;
  for (let depth = 0; s && depth < 8; depth++) {
    if (s.meta?.()?.secret === true) return true;
    const def = s._zod?.def;
    s = (def?.innerType ?? def?.in) as Introspectable | undefined;
  }
  return false;
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as Introspectable | undefined;
  for (let depth = 0; s && depth < 8; depth++) {
    const def = s._zod?.def;
    if (def?.type === 'object' && def.shape) return def.shape;
    s = (def?.innerType ?? def?.in) as Introspectable | undefined;
  }
  return undefined;
}

/**
 * String values of fields marked `.meta({ secret: true })`, plus any field whose name looks like
 * a credential (defence in depth: a destination that forgets the mark still gets redacted).
 */
export function secretValues(schema: z.ZodType, settings: unknown): string[] {
  if (typeof settings !== 'object' || settings === null) return [];
  const shape = objectShape(schema) ?? {};
  const out: string[] = [];
  for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
    if (typeof value !== 'string' || value === '') continue;
    if (isMarkedSecret(shape[key]) || SECRET_NAME.test(key)) out.push(value);
  }
  return out;
}

/**
 * Names of the secret fields: those of the schema marked `.meta({ secret: true })`, plus any key of
 * `settings` (when given) whose name looks like a credential. The vault encrypts these at rest
 * and the admin API masks them.
 */
export function secretKeys(schema: z.ZodType | undefined, settings?: unknown): string[] {
  const shape = schema ? (objectShape(schema) ?? {}) : {};
  const keys = new Set(Object.keys(shape).filter((k) => isMarkedSecret(shape[k]) || SECRET_NAME.test(k)));
  if (typeof settings === 'object' && settings !== null) {
    for (const k of Object.keys(settings)) if (SECRET_NAME.test(k)) keys.add(k);
  }
  return [...keys];
}
