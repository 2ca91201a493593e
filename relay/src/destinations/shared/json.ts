/** JSON parsing for platform answers, which may be HTML error pages, empty or truncated. */

/** The parsed body, or undefined when it is not JSON. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The parsed body when it is a JSON object or array; undefined for anything else (a string, a number, null, not JSON). */
export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  const v = parseJson(body);
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}
