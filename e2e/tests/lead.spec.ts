/**
 * One real event through every part: browser tracker → WordPress REST → outbox → signed relay
 * ingest → Meta CAPI (local fake). The raw email must exist nowhere but the visitor's page.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { dumpWordPressDb, readStack, waitFor } from '../support/stack';

interface ReceivedEvent {
  event_name: string;
  event_id: string;
  user_data: { em?: string[] | string };
}
interface Received {
  pixelId: string;
  body: { data: ReceivedEvent[] };
}

const RAW_EMAIL = ' Jane.Doe@Example.com ';
const NORMALIZED = 'jane.doe@example.com';

async function receivedByMeta(url: string): Promise<Received[]> {
  const res = await fetch(`${url}/__received`);
  expect(res.ok).toBe(true);
  return (await res.json()) as Received[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('a lead tracked in the browser reaches Meta once, hashed, with the browser event_id', async ({ page }) => {
  const stack = readStack();
  const before = (await receivedByMeta(stack.fakeMetaUrl)).flatMap((r) => r.body.data);

  await page.goto(`${stack.wpUrl}/layersync-demo/`);
  await page.waitForFunction(() => typeof (window as unknown as { LayerSync?: { track?: unknown } }).LayerSync?.track === 'function');
  const eventId = await page.evaluate(
    (email) =>
      (window as unknown as { LayerSync: { track: (n: string, p: object) => Promise<string> } }).LayerSync.track('lead', {
        email,
      }),
    RAW_EMAIL,
  );
  expect(eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const leads = await waitFor(
    'the Lead event at the fake Meta server',
    async () => {
      const all = (await receivedByMeta(stack.fakeMetaUrl)).flatMap((r) => r.body.data).slice(before.length);
      const mine = all.filter((e) => e.event_id === eventId);
      return mine.length > 0 ? mine : undefined;
    },
    45_000,
  );

  // Give any duplicate delivery (a second drain, a retry) time to show up before counting.
  await page.waitForTimeout(3_000);
  const all = (await receivedByMeta(stack.fakeMetaUrl)).flatMap((r) => r.body.data).slice(before.length);
  const mine = all.filter((e) => e.event_id === eventId);
  expect(mine).toHaveLength(1);
  expect(leads[0]!.event_name).toBe('Lead');
  const em = mine[0]!.user_data.em;
  const expected = createHash('sha256').update(NORMALIZED).digest('hex');
  expect(Array.isArray(em) ? em : [em]).toEqual([expected]);

  // The raw email (any casing) must not be stored or logged anywhere on the server side.
  const needle = /jane\.doe@example\.com/i;
  expect(dumpWordPressDb(stack)).not.toMatch(needle);
  expect(dumpWordPressDb(stack)).toContain(expected); // the outbox did hold the hashed event
  for (const suffix of ['', '-wal']) {
    let bytes = '';
    try {
      bytes = readFileSync(stack.relayDb + suffix).toString('latin1');
    } catch {
      continue;
    }
    expect(bytes, `relay store ${suffix || 'main file'}`).not.toMatch(needle);
  }
  for (const file of filesUnder(stack.logDir)) {
    expect(readFileSync(file).toString('latin1'), file).not.toMatch(needle);
  }
});
