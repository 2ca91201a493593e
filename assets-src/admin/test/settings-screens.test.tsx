/** Events and Privacy screens against a mocked REST API: empty states, saves, errors. */
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
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
const shown = async (text: string) => expect((await screen.findAllByText(text)).length).toBeGreaterThan(0);

const policy = { default_denied: false, ldu: { enabled: false }, do_not_sell_mode: 'limited', purposes: { webhook: [] } };
const meta = {
  id: 1,
  slug: 'meta',
  label: 'Meta Conversions API',
  enabled: true,
  mode: 'live',
  settings: {},
  secret_fields: ['access_token'],
  parked: null,
  event_map: null,
};

beforeEach(reset);
afterEach(cleanup);

function withStore(node: ReactNode) {
  return render(<RelayStoreProvider>{node}</RelayStoreProvider>);
}

describe('Events', () => {
  beforeEach(() => routes.set(`GET ${A}/forms`, () => formsReport));

  it('says what to do when no platform is connected, and shows the offline gateways', async () => {
    routes.set(`GET ${R}/destination-types`, () => ({ types: [metaType] }));
    routes.set(`GET ${R}/destinations`, () => ({ destinations: [] }));
    routes.set(`GET ${A}/settings`, () => settings);
    withStore(<EventsScreen />);
    await shown('No platform is connected yet. Connect one on the Platforms tab, then choose its event names here.');
    expect(await screen.findByLabelText('Direct bank transfer (bacs)')).toBeTruthy();
    expect(screen.getByLabelText('Cash on delivery (cod)')).toBeTruthy();
  });

  it('saves a renamed event to the relay event map', async () => {
    routes.set(`GET ${R}/destination-types`, () => ({ types: [metaType] }));
    routes.set(`GET ${R}/destinations`, () => ({ destinations: [meta] }));
    routes.set(`GET ${A}/settings`, () => settings);
    routes.set(`PUT ${R}/destinations/1/event-map`, (o) => ({ ...meta, event_map: (o.data as { event_map: unknown }).event_map }));
    const user = userEvent.setup();
    withStore(<EventsScreen />);
    const lead = await screen.findByLabelText('Platform name for lead');
    expect((lead as HTMLInputElement).placeholder).toBe('Lead');
    await user.type(lead, 'CompleteRegistration');
    await user.click(screen.getByRole('button', { name: 'Save event names' }));
    await shown('Event names saved. New events use them right away.');
    expect(calls.find((c) => c.method === 'PUT')?.data).toEqual({ event_map: { lead: 'CompleteRegistration' } });
  });

  it("shows the server's message when the purchase policy cannot be saved", async () => {
    routes.set(`GET ${R}/destination-types`, () => ({ types: [metaType] }));
    routes.set(`GET ${R}/destinations`, () => ({ destinations: [] }));
    routes.set(`GET ${A}/settings`, () => settings);
    routes.set(`POST ${A}/settings`, () => Promise.reject({ code: 'rest_invalid_param', message: 'purchase_timing[bacs] is not one of placed and paid.' }));
    const user = userEvent.setup();
    withStore(<EventsScreen />);
    await user.selectOptions(await screen.findByLabelText('Direct bank transfer (bacs)'), 'placed');
    await user.click(screen.getByRole('button', { name: 'Save purchase policy' }));
    await shown('purchase_timing[bacs] is not one of placed and paid.');
    // Only the purchase policy: the connection is not sent, so an unconnected site can save it too.
    expect(calls.find((c) => c.method === 'POST')?.data).toEqual({ purchase_timing: { bacs: 'placed', cod: 'paid' } });
  });
});

describe('Privacy', () => {
  it('loads, saves WordPress options and the relay policy (keeping what it does not edit)', async () => {
    routes.set(`GET ${A}/settings`, () => settings);
    routes.set(`POST ${A}/settings`, (o) => ({ ...settings, ...(o.data as object) }));
    routes.set(`GET ${R}/policy`, () => policy);
    routes.set(`PUT ${R}/policy`, (o) => o.data);
    const user = userEvent.setup();
    render(<PrivacyScreen />);
    await user.click(await screen.findByLabelText('Deny tracking until the visitor consents (default-denied)'));
    await user.click(screen.getByLabelText('Anonymize IP addresses'));
    await user.click(screen.getByRole('button', { name: 'Save privacy settings' }));
    await shown('Privacy settings saved.');
    expect(calls.find((c) => c.method === 'POST')?.data).toEqual({ consent_default: 'denied', anonymize_ip: true });

    await user.click(await screen.findByLabelText('Meta Limited Data Use (LDU)'));
    await user.type(screen.getByLabelText('LDU country (ISO code, e.g. US)'), 'us');
    await user.selectOptions(screen.getByLabelText('When a visitor opts out of sale/sharing (Do Not Sell)'), 'drop');
    await user.click(screen.getByRole('button', { name: 'Save platform policy' }));
    await shown('Platform privacy policy saved. It applies to every event not sent yet.');
    expect(calls.find((c) => c.method === 'PUT')?.data).toEqual({
      default_denied: false,
      ldu: { enabled: true, country: 'US' },
      do_not_sell_mode: 'drop',
      purposes: { webhook: [] },
    });
    expect(document.body.textContent).toContain('Consent source in use');
    expect(document.body.textContent).toContain('Purchases, Refunds: 30 days');
  });

  it('shows the error and a retry when the relay policy cannot be loaded', async () => {
    routes.set(`GET ${A}/settings`, () => settings);
    routes.set(`GET ${R}/policy`, () => Promise.reject({ code: 'layersync_not_connected', message: 'LayerSync is not connected to a relay yet.' }));
    render(<PrivacyScreen />);
    await shown('LayerSync is not connected to a relay yet.');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy());
  });
});
