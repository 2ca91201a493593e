/**
 * wp-admin helpers shared by the specs: log in as the harness administrator, open a tab of the
 * LayerSync admin app, and save a full-page screenshot (attached to the test, and kept under
 * e2e/test-results/screens/ as the run's screenshots of each screen).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { ROOT, harnessEnv } from './stack';

export const SCREENS_DIR = path.join(ROOT, 'e2e/test-results/screens');

/** Logs in as the harness's administrator; resolves once wp-admin has loaded. */
export async function login(page: Page, wpUrl: string): Promise<void> {
  await page.goto(`${wpUrl}/wp-login.php`);
  await page.locator('#user_login').fill('admin');
  await page.locator('#user_pass').fill(harnessEnv().LAYERSYNC_WP_ADMIN_PASSWORD!);
  await page.locator('#wp-submit').click();
  await page.waitForURL(/wp-admin/);
}

/** Opens the LayerSync admin app on one of its tabs. */
export async function openTab(page: Page, wpUrl: string, tab: string): Promise<void> {
  await page.goto(`${wpUrl}/wp-admin/admin.php?page=layersync`);
  await page.getByRole('tab', { name: tab, exact: true }).click();
}

/** Saves and attaches a full-page screenshot; returns its file. */
export async function screen(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  mkdirSync(SCREENS_DIR, { recursive: true });
  const file = path.join(SCREENS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  return file;
}
