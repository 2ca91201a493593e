/**
 * The Events screen's tracked events and lead-form fields, and the Privacy screen's facts from
 * the server, in the real wp-admin: a switched-off page view survives a reload and reaches the
 * storefront's tracker configuration (so it is not recorded); a field rule for WPForms is saved
 * and reloaded; the consent source and the retention shown are the server's. Everything changed
 * is put back so the other specs see the stack as global setup left it.
 */
import { expect, test } from '@playwright/test';
import { login, openTab, screen } from '../support/admin';
import { readStack } from '../support/stack';

/** The storefront's `window.LayerSyncConfig`, as a visitor's page prints it. */
async function trackerConfig(wpUrl: string): Promise<Record<string, unknown>> {
  const html = await (await fetch(`${wpUrl}/?layersync-e2e=${Date.now()}`)).text();
  const m = html.match(/window\.LayerSyncConfig=(\{.*?\});window\.LayerSync=/);
  if (!m) throw new Error('no LayerSyncConfig on the front page');
  return JSON.parse(m[1]!) as Record<string, unknown>;
}

test('merchant: switches page views off and maps a form field; Privacy shows the server facts', async ({ page }, testInfo) => {
  const stack = readStack();
  await login(page, stack.wpUrl);

  // ── Events to track: page views off, saved, still off after a reload, and the tracker is told.
  await openTab(page, stack.wpUrl, 'Events');
  const tracked = page.locator('.layersync-tracked-events');
  const pageViews = tracked.getByLabel('Page views (page_view)');
  await expect(pageViews).toBeChecked();
  expect((await trackerConfig(stack.wpUrl)).page_view).toBeUndefined();
  await pageViews.focus();
  await page.keyboard.press('Space');
  await expect(pageViews).not.toBeChecked();
  await tracked.getByRole('button', { name: 'Save tracked events' }).click();
  await expect(tracked.locator('.components-notice.is-success')).toContainText('Tracked events saved.');
  expect((await trackerConfig(stack.wpUrl)).page_view).toBe(false);

  // ── Lead forms: no form plugin in the harness, so the empty state says what to install; the
  // WPForms panel still takes a rule, which survives a reload.
  const leads = page.locator('.layersync-lead-forms');
  await expect(leads).toContainText('No supported form plugin is active.');
  await leads.getByRole('button', { name: 'WPForms — not active' }).click();
  const wpforms = leads.locator('.layersync-form-plugin--wpforms');
  await wpforms.getByRole('button', { name: 'Add a field rule' }).click();
  await expect(wpforms.getByLabel('Form field of rule 1')).toBeFocused();
  await page.keyboard.type('Work email');
  await wpforms.getByLabel('Use of rule 1').selectOption('em');
  await wpforms.getByRole('button', { name: 'Save WPForms settings' }).click();
  await expect(wpforms.locator('.components-notice.is-success')).toContainText('Saved. The next form sent uses these settings.');
  await screen(page, testInfo, 'admin-events-tracking');

  await openTab(page, stack.wpUrl, 'Events');
  await expect(tracked.getByLabel('Page views (page_view)')).not.toBeChecked();
  await leads.getByRole('button', { name: 'WPForms — not active' }).click();
  await expect(wpforms.getByLabel('Form field of rule 1')).toHaveValue('Work email');

  // Put both back.
  await wpforms.getByRole('button', { name: 'Remove the rule for Work email' }).click();
  await wpforms.getByRole('button', { name: 'Save WPForms settings' }).click();
  await expect(wpforms.locator('.components-notice.is-success')).toBeVisible();
  await tracked.getByLabel('Page views (page_view)').check();
  await tracked.getByRole('button', { name: 'Save tracked events' }).click();
  await expect(tracked.locator('.components-notice.is-success')).toBeVisible();
  expect((await trackerConfig(stack.wpUrl)).page_view).toBeUndefined();

  // ── Privacy: the consent source and the retention come from the server.
  await openTab(page, stack.wpUrl, 'Privacy');
  const consent = page.locator('.layersync-privacy__consent-source');
  await expect(consent).toContainText('None detected');
  await expect(consent).toContainText('window.LayerSync.setConsent()');
  const retention = page.locator('.layersync-privacy__retention');
  await expect(retention).toContainText('Purchases, Refunds: 30 days (never removed to make room)');
  await expect(retention).toContainText('Delivered events are removed after 3 days, failed ones after 30 days.');
  await expect(retention).toContainText('The queue holds at most 50,000 events.');
  // The relay's own period, as it reports it with the site (LAYERSYNC_RETENTION_DAYS, default 90).
  await expect(retention).toContainText('The relay deletes events, with their deliveries and the platforms’ answers, 90 days after they arrived');
  await screen(page, testInfo, 'admin-privacy-facts');
});
