/**
 * Events screen (tracked events on/off, lead-form fields) and the Privacy screen's facts from the
 * server (consent source, retention) against a mocked REST API: loading, success, server errors,
 * empty states, keyboard use and focus.
 */
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PrivacyScreen } from '../src/privacy/PrivacyScreen';
import { RelayStoreProvider } from '../src/store';
import { EventsScreen } from '../src/tracking/EventsScreen';
import { calls, reset, routes } from './api-mock';
import metaType from './fixtures/meta-type.json';
import { formsReport, settings } from './fixtures/settings';

vi.mock('@wordpress/api-fetch', async () => ({ default: (await import('./api-mock')).apiFetchMock }));

const A = '/layersync/v1/admin';
const R = `${A}/relay`;
/** Notices are also spoken through WordPress's live region, so their text may appear twice. */
const shown = async (text: string) => expect((await screen.findAllByText(text, { exact: false })).length).toBeGreaterThan(0);
const posts = (path: string) => calls.filter((c) => c.method === 'POST' && c.path === path);
const checkbox = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

function events(overrides: Partial<typeof settings> = {}, forms: unknown = formsReport) {
  routes.set(`GET ${R}/destination-types`, () => ({ types: [metaType] }));
  routes.set(`GET ${R}/destinations`, () => ({ destinations: [] }));
  routes.set(`GET ${A}/settings`, () => ({ ...settings, ...overrides }));
  routes.set(`GET ${A}/forms`, () => forms);
  return render(
    <RelayStoreProvider>
      <EventsScreen />
    </RelayStoreProvider>,
  );
}

beforeEach(reset);
afterEach(cleanup);

describe('Events: events to track', () => {
  it('shows the saved switches and saves the changed lists, without the connection', async () => {
    routes.set(`POST ${A}/settings`, (o) => ({ ...settings, ...(o.data as object) }));
    const user = userEvent.setup();
    events();
    const pageView = (await screen.findByLabelText('Page views (page_view)')) as HTMLInputElement;
    expect(pageView.checked).toBe(true);
    expect(checkbox('Purchases (purchase)').checked).toBe(true);
    expect(checkbox('Add to cart (add_to_cart)').checked).toBe(false);
    const save = screen.getByRole('button', { name: 'Save tracked events' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    await user.click(pageView);
    await user.click(checkbox('Add to cart (add_to_cart)'));
    expect(save.disabled).toBe(false);
    await user.click(save);
    await shown('Tracked events saved. Switched-off events are no longer recorded');
    expect(posts(`${A}/settings`).map((c) => c.data)).toEqual([{ site_events: ['lead'], commerce_events: ['add_to_cart', 'purchase'] }]);
    expect(checkbox('Page views (page_view)').checked).toBe(false);
    expect((screen.getByRole('button', { name: 'Save tracked events' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("renders a switch for each event the server lists, in the server's order, and no other", async () => {
    events({ trackable_events: { site: ['lead'], commerce: ['refund', 'purchase'] } });
    await screen.findByLabelText('Refunds (refund)');
    const labels = screen.getAllByRole('checkbox').map((c) => (c as HTMLInputElement).labels?.[0]?.textContent);
    expect(labels.slice(0, 3)).toEqual(['Form submissions (leads) (lead)', 'Refunds (refund)', 'Purchases (purchase)']);
    expect(screen.queryByLabelText('Page views (page_view)')).toBeNull();
    expect(screen.queryByLabelText('Add to cart (add_to_cart)')).toBeNull();
  });

  it('switches with the keyboard and can undo', async () => {
    const user = userEvent.setup();
    events();
    const refund = (await screen.findByLabelText('Refunds (refund)')) as HTMLInputElement;
    refund.focus();
    await user.keyboard(' ');
    expect(refund.checked).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Undo changes' }));
    expect(checkbox('Refunds (refund)').checked).toBe(false);
  });

  it("shows the server's message when saving fails, and keeps the choice", async () => {
    routes.set(`POST ${A}/settings`, () => Promise.reject({ code: 'layersync_invalid_site_events', message: 'site_events may only contain: page_view, lead.' }));
    const user = userEvent.setup();
    events();
    await user.click(await screen.findByLabelText('Form submissions (leads) (lead)'));
    await user.click(screen.getByRole('button', { name: 'Save tracked events' }));
    await shown('site_events may only contain: page_view, lead.');
    expect(checkbox('Form submissions (leads) (lead)').checked).toBe(false);
  });

  it('says when WooCommerce is not active, and warns when everything is off', async () => {
    const user = userEvent.setup();
    events({ woocommerce_active: false, commerce_events: [], site_events: ['page_view'] });
    await shown('WooCommerce is not active on this site');
    await user.click(await screen.findByLabelText('Page views (page_view)'));
    await shown('Every event is switched off: LayerSync records nothing');
  });

  it('shows a loading state, then the error with a retry when the settings cannot be loaded', async () => {
    let fail = true;
    routes.set(`GET ${R}/destination-types`, () => ({ types: [metaType] }));
    routes.set(`GET ${R}/destinations`, () => ({ destinations: [] }));
    routes.set(`GET ${A}/forms`, () => formsReport);
    routes.set(`GET ${A}/settings`, () => (fail ? Promise.reject({ code: 'rest_forbidden', message: 'Sorry, you are not allowed to do that.' }) : settings));
    const user = userEvent.setup();
    render(
      <RelayStoreProvider>
        <EventsScreen />
      </RelayStoreProvider>,
    );
    expect(screen.getAllByText('Loading…').length).toBeGreaterThan(0);
    await shown('Sorry, you are not allowed to do that.');
    fail = false;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByLabelText('Page views (page_view)')).toBeTruthy();
  });
});

describe('Events: lead forms', () => {
  it('shows each form plugin with its state; an active one is open with its rules', async () => {
    events();
    const cf7 = await screen.findByRole('button', { name: 'Contact Form 7 — active' });
    expect(cf7.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByRole('button', { name: 'WPForms — not active' }).getAttribute('aria-expanded')).toBe('false');
    expect((screen.getByLabelText('Form field of rule 1') as HTMLInputElement).value).toBe('your-email');
    expect((screen.getByLabelText('Use of rule 1') as HTMLSelectElement).value).toBe('em');
  });

  it('adds a rule (focus moves to it), saves it and says so', async () => {
    routes.set(`POST ${A}/forms`, (o) => {
      const cf7 = (o.data as { cf7: object }).cf7;
      return { ...formsReport, plugins: { ...formsReport.plugins, cf7: { ...formsReport.plugins.cf7, ...cf7 } } };
    });
    const user = userEvent.setup();
    events();
    const panel = (await screen.findByRole('button', { name: 'Contact Form 7 — active' })).closest('.components-panel__body') as HTMLElement;
    const inPanel = within(panel);
    await user.click(inPanel.getByRole('button', { name: 'Add a field rule' }));
    const field = inPanel.getByLabelText('Form field of rule 2');
    await waitFor(() => expect(document.activeElement).toBe(field));
    await user.keyboard('Phone number');
    await user.selectOptions(inPanel.getByLabelText('Use of rule 2'), 'ph');
    await user.type(inPanel.getByLabelText('Forms to leave out (form ids, separated by commas)'), '12, 40');
    await user.click(inPanel.getByRole('button', { name: 'Save Contact Form 7 settings' }));
    await shown('Saved. The next form sent uses these settings.');
    expect(posts(`${A}/forms`).map((c) => c.data)).toEqual([
      { cf7: { enabled: true, auto: true, fields: { 'your-email': 'em', 'Phone number': 'ph' }, exclude: ['12', '40'] } },
    ]);
  });

  it('refuses an empty rule before sending, and removing a rule moves focus to "Add"', async () => {
    const user = userEvent.setup();
    events();
    const panel = (await screen.findByRole('button', { name: 'Contact Form 7 — active' })).closest('.components-panel__body') as HTMLElement;
    const inPanel = within(panel);
    await user.click(inPanel.getByRole('button', { name: 'Add a field rule' }));
    await user.click(inPanel.getByRole('button', { name: 'Save Contact Form 7 settings' }));
    await shown('Enter the form field of every rule, or remove the empty rule.');
    expect(posts(`${A}/forms`)).toEqual([]);

    await user.click(inPanel.getByRole('button', { name: 'Remove the rule for 2' }));
    expect(document.activeElement).toBe(inPanel.getByRole('button', { name: 'Add a field rule' }));
    await user.click(inPanel.getByRole('button', { name: 'Remove the rule for your-email' }));
    await shown('No rules: automatic detection decides.');
  });

  it("shows the server's message when the rules cannot be saved", async () => {
    routes.set(`POST ${A}/forms`, () => Promise.reject({ code: 'layersync_invalid_forms', message: 'cf7.fields["x"] must be one of: em, ph.' }));
    const user = userEvent.setup();
    events();
    const panel = (await screen.findByRole('button', { name: 'Contact Form 7 — active' })).closest('.components-panel__body') as HTMLElement;
    await user.click(within(panel).getByLabelText('Find email, phone and name fields automatically'));
    await user.click(within(panel).getByRole('button', { name: 'Save Contact Form 7 settings' }));
    await shown('cf7.fields["x"] must be one of: em, ph.');
    expect(posts(`${A}/forms`).map((c) => c.data)).toEqual([{ cf7: { enabled: true, auto: false, fields: { 'your-email': 'em' }, exclude: [] } }]);
  });

  it('WooCommerce: fixed fields are listed and only its switch is saved', async () => {
    routes.set(`POST ${A}/forms`, () => formsReport);
    const user = userEvent.setup();
    events();
    const panel = (await screen.findByRole('button', { name: 'WooCommerce account creation — active' })).closest('.components-panel__body') as HTMLElement;
    const inPanel = within(panel);
    expect(panel.textContent).toContain('Account creation: Email, First name, Last name.');
    expect(panel.textContent).toContain('Email, Phone, First name, Last name, City, State or region, Postal code, Country, from the billing address');
    expect(inPanel.queryByRole('button', { name: 'Add a field rule' })).toBeNull();
    await user.click(inPanel.getByLabelText('Record a sign-up when a customer creates an account'));
    await user.click(inPanel.getByRole('button', { name: 'Save WooCommerce account creation settings' }));
    await shown('Saved. The next form sent uses these settings.');
    expect(posts(`${A}/forms`).map((c) => c.data)).toEqual([{ woocommerce: { enabled: false } }]);
  });

  it('says what to do when no form plugin is active, and when leads are switched off', async () => {
    const inactive = Object.fromEntries(Object.entries(formsReport.plugins).map(([k, v]) => [k, { ...v, active: k === 'woocommerce' }]));
    events({ site_events: ['page_view'] }, { ...formsReport, plugins: inactive });
    await shown('No supported form plugin is active. Install and activate Contact Form 7, WPForms, Ninja Forms or Formidable Forms');
    await shown('Form submissions are switched off under “Events to track”');
  });

  it('shows the error with a retry when the form settings cannot be loaded', async () => {
    routes.set(`GET ${R}/destination-types`, () => ({ types: [metaType] }));
    routes.set(`GET ${R}/destinations`, () => ({ destinations: [] }));
    routes.set(`GET ${A}/settings`, () => settings);
    routes.set(`GET ${A}/forms`, () => Promise.reject({ code: 'rest_cookie_invalid_nonce', message: 'Cookie check failed' }));
    render(
      <RelayStoreProvider>
        <EventsScreen />
      </RelayStoreProvider>,
    );
    await shown('Cookie check failed');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('Privacy: facts from the server', () => {
  const privacy = (overrides: Partial<typeof settings>) => {
    routes.set(`GET ${A}/settings`, () => ({ ...settings, ...overrides }));
    routes.set(`GET ${R}/policy`, () => ({ default_denied: false, ldu: { enabled: false }, do_not_sell_mode: 'limited', purposes: {} }));
    if (!routes.has(`GET ${R}/site`)) routes.set(`GET ${R}/site`, () => ({ site_id: 'shop', destinations: 1, rotating: false, retention_days: 90 }));
    return render(<PrivacyScreen />);
  };

  it('names the consent manager detected and where server events take consent from', async () => {
    privacy({
      consent_source: {
        id: 'complianz',
        label: 'Complianz',
        detected: [
          { id: 'complianz', label: 'Complianz' },
          { id: 'cookiebot', label: 'Cookiebot' },
          { id: 'wp_consent_api', label: 'WP Consent API' },
        ],
        wp_consent_api: true,
      },
    });
    await shown('Complianz, found on this site. The LayerSync tracker reads each visitor’s choice from it in the browser.');
    await shown('Also found: Cookiebot.');
    await shown('take consent from the WP Consent API.');
    expect(document.querySelector('.layersync-privacy__consent-source')?.textContent).not.toContain('install a consent banner plugin');
  });

  it('without a consent manager, says how consent is set and warns while the default is granted', async () => {
    privacy({ consent_source: { id: 'none', label: '', detected: [], wp_consent_api: false } });
    await shown('No consent banner plugin was found on this site. Consent stays at the default (granted) unless your site calls window.LayerSync.setConsent()');
    await shown('install a consent banner plugin, or turn on “Deny tracking until the visitor consents” below.');
    await shown('use the default (granted), because the WP Consent API plugin is not active.');
  });

  it('WP Consent API alone', async () => {
    privacy({ consent_default: 'denied', consent_source: { id: 'wp_consent_api', label: 'WP Consent API', detected: [{ id: 'wp_consent_api', label: 'WP Consent API' }], wp_consent_api: true } });
    await shown('make sure your banner reports visitors’ choices to the WP Consent API.');
    expect(document.querySelector('.layersync-privacy__consent-source')?.textContent).not.toContain('install a consent banner plugin');
  });

  it('shows the retention the plugin reports', async () => {
    privacy({
      retention: {
        outbox: {
          tiers: [
            { seconds: 2592000, events: ['purchase'], custom: false, evictable: false },
            { seconds: 43200, events: ['page_view'], custom: true, evictable: true },
          ],
          delivered_seconds: 172800,
          failed_seconds: 1209600,
          max_rows: 1000,
        },
      },
    });
    await shown('Purchases: 30 days (never removed to make room)');
    await shown('Page views, custom events: 12 hours');
    await shown('Delivered events are removed after 2 days, failed ones after 14 days.');
    await shown('The queue holds at most 1,000 events.');
    await shown('The relay deletes events, with their deliveries and the platforms’ answers, 90 days after they arrived');
  });

  it('says when the relay keeps events without a period, and when it cannot be asked', async () => {
    routes.set(`GET ${R}/site`, () => ({ site_id: 'shop', destinations: 1, rotating: false, retention_days: 0 }));
    const first = privacy({});
    await shown('The relay keeps events until they are deleted by a privacy request');
    first.unmount();
    routes.set(`GET ${R}/site`, () => Promise.reject({ code: 'layersync_not_connected', message: 'LayerSync is not connected to a relay yet.' }));
    privacy({});
    await shown('The relay could not be asked how long it keeps events (LayerSync is not connected to a relay yet.)');
  });
});
