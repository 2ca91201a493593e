/**
 * The Events and Privacy screens in the real wp-admin against the e2e relay: a custom event name
 * for Meta and the relay's privacy policy survive a reload (through the signed proxy), and both
 * are put back afterwards so the other specs see the stack as global setup left it.
 */
import { expect, test } from '@playwright/test';
import { login, openTab, screen } from '../support/admin';
import { readStack } from '../support/stack';

test('merchant: custom event names and privacy policy persist through the relay', async ({ page }, testInfo) => {
  const stack = readStack();
  await login(page, stack.wpUrl);

  // ── Events: add a custom event for Meta, save, reload: it is still mapped.
  await openTab(page, stack.wpUrl, 'Events');
  const card = page.locator('#layersync-event-map-meta');
  await expect(card.getByLabel('Platform name for lead')).toHaveAttribute('placeholder', 'Lead');
  await card.getByLabel(/Add a custom event/).fill('custom:quote_requested');
  await card.getByRole('button', { name: 'Add', exact: true }).click();
  await card.getByLabel('Platform name for custom:quote_requested').fill('QuoteRequested');
  await card.getByRole('button', { name: 'Save event names' }).click();
  await expect(card.locator('.components-notice.is-success')).toBeVisible();
  await screen(page, testInfo, 'admin-events');
  await openTab(page, stack.wpUrl, 'Events');
  await expect(card.getByLabel('Platform name for custom:quote_requested')).toHaveValue('QuoteRequested');
  // Put it back: no overrides.
  await card.getByLabel('Platform name for custom:quote_requested').fill('');
  await card.getByRole('button', { name: 'Save event names' }).click();
  await expect(card.locator('.components-notice.is-success')).toBeVisible();

  // ── Privacy: Meta LDU on at the relay, reload: still on; then off again.
  await openTab(page, stack.wpUrl, 'Privacy');
  const relayCard = page.locator('.layersync-privacy__relay');
  const ldu = relayCard.getByLabel('Meta Limited Data Use (LDU)');
  await expect(ldu).not.toBeChecked();
  await ldu.check();
  await relayCard.getByLabel('LDU country (ISO code, e.g. US)').fill('US');
  await relayCard.getByLabel('LDU state (e.g. CA)').fill('CA');
  await relayCard.getByRole('button', { name: 'Save platform policy' }).click();
  await expect(relayCard.locator('.components-notice.is-success')).toBeVisible();
  await expect(page.locator('.layersync-privacy__consent-source')).toContainText('Consent source in use');
  await expect(page.locator('.layersync-privacy__retention')).toContainText('30 days');
  await screen(page, testInfo, 'admin-privacy');
  await openTab(page, stack.wpUrl, 'Privacy');
  await expect(ldu).toBeChecked();
  await expect(relayCard.getByLabel('LDU state (e.g. CA)')).toHaveValue('CA');
  await ldu.uncheck();
  await relayCard.getByRole('button', { name: 'Save platform policy' }).click();
  await expect(relayCard.locator('.components-notice.is-success')).toBeVisible();
});
