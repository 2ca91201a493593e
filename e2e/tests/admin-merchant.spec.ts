/**
 * The merchant's path through the LayerSync admin app in the real wp-admin: test the relay
 * connection, check Meta is live, see an event delivered, break Meta's token and see the
 * platform parked with its error, fix the token and replay the failed delivery, export the
 * queue as CSV. One screenshot per screen (attached, and in test-results/screens/).
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, expect, test } from '@playwright/test';
import { login, screen } from '../support/admin';
import { ROOT, readStack } from '../support/stack';

const DOCS_DIR = path.join(ROOT, 'docs/screenshots');

/** Sends a lead from the demo page in a separate browser context (a visitor); returns its event_id. */
async function sendLead(browser: Browser, wpUrl: string, email: string): Promise<string> {
  const ctx = await browser.newContext();
  try {
    const visitor = await ctx.newPage();
    await visitor.goto(`${wpUrl}/layersync-demo/`);
    await visitor.waitForFunction(() => typeof (window as unknown as { LayerSync?: { track?: unknown } }).LayerSync?.track === 'function');
    return await visitor.evaluate(
      (em) => (window as unknown as { LayerSync: { track: (n: string, p: object) => Promise<string> } }).LayerSync.track('lead', { email: em }),
      email,
    );
  } finally {
    await ctx.close();
  }
}

/** Minimal RFC 4180 parser: rows of [raw cell text, was it quoted]. */
function parseCsv(text: string): Array<Array<{ value: string; quoted: boolean }>> {
  const rows: Array<Array<{ value: string; quoted: boolean }>> = [];
  let row: Array<{ value: string; quoted: boolean }> = [];
  let i = 0;
  while (i < text.length) {
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted cell');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') value += text[i++];
    }
    row.push({ value, quoted });
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    rows.push(row);
    row = [];
  }
  if (row.length) rows.push(row);
  return rows.filter((r) => !(r.length === 1 && r[0]!.value === '' && !r[0]!.quoted));
}

test('merchant: connection, live events, parked token, fix and replay, CSV export', async ({ page, browser }, testInfo) => {
  test.setTimeout(180_000);
  const stack = readStack();
  await login(page, stack.wpUrl);
  await page.goto(`${stack.wpUrl}/wp-admin/admin.php?page=layersync`);

  // ── Connection: test the saved settings; OK with the relay's version.
  await page.getByRole('tab', { name: 'Connection' }).click();
  await page.getByRole('button', { name: 'Test connection' }).click();
  const ok = page.locator('.layersync-connection .components-notice.is-success');
  await expect(ok).toContainText(/Connected: LayerSync relay \d+\.\d+\.\d+/);
  await screen(page, testInfo, 'admin-connection');

  // ── Platforms: Meta is connected (global setup) and live; its connection test passes.
  await page.getByRole('tab', { name: 'Platforms' }).click();
  const meta = page.locator('#layersync-platform-meta');
  await expect(meta.locator('.layersync-platform__state')).toHaveText('Live');
  await meta.getByRole('button', { name: 'Test', exact: true }).click();
  await expect(meta.locator('.components-notice.is-success')).toBeVisible();
  await screen(page, testInfo, 'admin-platforms');
  // The connection test is a GET of the pixel node, recorded by the fake without an events
  // body; other specs read every recorded body as an events batch, so forget it.
  expect((await fetch(`${stack.fakeMetaUrl}/__reset`, { method: 'POST' })).status).toBe(204);

  // ── A real lead from the storefront → Live Events shows it delivered to Meta.
  const first = await sendLead(browser, stack.wpUrl, 'merchant.one@example.com');
  await page.getByRole('tab', { name: 'Live Events' }).click();
  const firstRow = page.locator(`tr[data-event-id="${first}"]`);
  await expect(firstRow).toContainText('meta: delivered', { timeout: 60_000 });
  const liveShot = await screen(page, testInfo, 'admin-live-events');
  // The README's screenshot is refreshed on request only, so a test run leaves the tree clean.
  if (process.env.LAYERSYNC_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_DIR, { recursive: true });
    copyFileSync(liveShot, path.join(DOCS_DIR, 'admin-live-events.png'));
  }

  // ── Break the token in the Platforms form, send another lead → Meta parked with its error.
  await page.getByRole('tab', { name: 'Platforms' }).click();
  await meta.getByRole('button', { name: 'Edit settings' }).click();
  await meta.getByLabel(/Conversions API access token/).fill('EAABwrong-token-0000000000000000');
  await meta.getByRole('button', { name: 'Save settings' }).click();
  await expect(meta.locator('.components-notice.is-success')).toBeVisible();
  // The visitor's page view is the first to hit the wrong token: it fails, Meta is parked, and
  // the lead behind it waits (a parked platform gets nothing until its credentials are fixed).
  const second = await sendLead(browser, stack.wpUrl, 'merchant.two@example.com');
  await page.getByRole('tab', { name: 'Live Events' }).click();
  await expect(page.locator('tr.layersync-live__row', { hasText: 'meta: failed' }).first()).toBeVisible({ timeout: 60_000 });
  await screen(page, testInfo, 'admin-live-events-failed');
  await page.getByRole('tab', { name: 'Platforms' }).click();
  await expect(meta.locator('.layersync-platform__state')).toHaveText(/Parked/);
  await expect(meta.locator('.layersync-platform__parked')).toContainText(/refused the credentials/);
  await expect(meta.locator('.layersync-platform__parked')).toContainText(/access token/);
  await screen(page, testInfo, 'admin-platforms-parked');

  // ── Fix the token: Meta resumes (the waiting lead goes out); replay the failed delivery.
  await meta.getByRole('button', { name: 'Edit settings' }).click();
  await meta.getByLabel(/Conversions API access token/).fill(stack.metaToken);
  await meta.getByRole('button', { name: 'Save settings' }).click();
  await expect(meta.locator('.components-notice.is-success')).toBeVisible();
  await expect(meta.locator('.layersync-platform__state')).toHaveText('Live');
  // Replay every delivery the wrong token failed (the page view, and the lead when it was in
  // the same batch); whatever only waited went out on its own when Meta resumed.
  await page.getByRole('tab', { name: 'Deliveries' }).click();
  const deadRows = page.locator('.layersync-deliveries tr[data-event-id]', { hasText: 'access token' });
  await expect(deadRows.first()).toContainText('meta');
  const failedId = await deadRows.first().getAttribute('data-event-id');
  expect(failedId).toBeTruthy();
  await screen(page, testInfo, 'admin-deliveries');
  for (let n = await deadRows.count(); n > 0; n = await deadRows.count()) {
    await deadRows.first().getByRole('button', { name: 'Replay' }).click();
    await expect(page.locator('.layersync-deliveries .layersync-notice')).toContainText('Sent again.');
    await expect(deadRows).toHaveCount(n - 1);
  }
  await page.getByRole('tab', { name: 'Live Events' }).click();
  await expect(page.locator(`tr[data-event-id="${failedId}"]`)).toContainText('meta: delivered', { timeout: 60_000 });
  await expect(page.locator(`tr[data-event-id="${second}"]`)).toContainText('meta: delivered', { timeout: 60_000 });

  // ── Queue: export as CSV; formula-like cells are neutralized.
  await page.getByRole('tab', { name: 'Queue' }).click();
  await expect(page.locator('.layersync-queue .layersync-loading')).toHaveCount(0);
  await screen(page, testInfo, 'admin-queue');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const file = await download.path();
  const csv = readFileSync(file, 'utf8');
  await testInfo.attach('outbox.csv', { body: csv, contentType: 'text/csv' });
  const rows = parseCsv(csv.replace(/^\uFEFF/, ''));
  expect(rows.length).toBeGreaterThanOrEqual(2);
  expect(rows[0]!.map((c) => c.value)).toContain('event_id');
  for (const row of rows) {
    for (const cell of row) {
      // Neither a bare nor a quoted cell may start like a formula (spreadsheets unquote first).
      expect(cell.value, `cell ${JSON.stringify(cell.value)}${cell.quoted ? ' (quoted)' : ''}`).not.toMatch(/^[=+\-@\t\r]/);
    }
  }
  expect(csv).toContain(first);
});
