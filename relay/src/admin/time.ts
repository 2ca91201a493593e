/** Points in time as operators type them: ISO 8601, unix seconds, or a duration ago ("24h"). */

export const TIME_INPUT_HELP = 'ISO 8601 (2026-11-20T10:00:00Z or 2026-11-20), unix seconds, or a duration ago such as 30m, 24h or 7d';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Unix seconds, or undefined when `input` is none of the accepted forms. */
export function parseTimeInput(input: string, nowMs: number): number | undefined {
  const s = input.trim();
  if (/^\d{1,10}$/.test(s)) return Number(s);
  const rel = /^(\d{1,6})([smhdw])$/.exec(s);
  if (rel) return Math.floor(nowMs / 1000) - Number(rel[1]) * UNITS[rel[2]!]!;
  if (/^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(s)) {
    const ms = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T'));
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  return undefined;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
