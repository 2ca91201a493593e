/**
 * The admin screens against a mocked REST API (@wordpress/api-fetch): loading, success and
 * server error states, write-only secrets, schema-driven platform forms, the replay window and
 * empty states that say what to do next.
 */
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionScreen } from '../src/connection/ConnectionScreen';
import { DeliveriesScreen } from '../src/deliveries/DeliveriesScreen';
import { LiveEventsScreen } from '../src/live/LiveEventsScreen';
import { PlatformsScreen } from '../src/platforms/PlatformsScreen';
import { RelayStoreProvider } from '../src/store';
import { calls, reset, routes } from './api-mock';
import metaType from './fixtures/meta-type.json';

vi.mock('@wordpress/api-fetch', async () => ({ default: (await import('./api-mock')).apiFetchMock }));

const A = '/layersync/v1/admin';

/** Notices are also spoken through WordPress's live region, so their text appears twice. */
const shown = async (text: string) => expect((await screen.findAllByText(text)).length).toBeGreaterThan(0);
const R = `${A}/relay`;

const saved = { relay_url: 'https://relay.example.com', site_id: 'shop-1', secret_set: true, secret_hint: '••••3f9a' };

beforeEach(reset);
afterEach(cleanup);

describe('Connection', () => {
  it('shows a loading state until the settings arrive', async () => {
    routes.set(`GET ${A}/settings`, () => new Promise(() => undefined));
    render(<ConnectionScreen />);
    expect(await screen.findByText('Loading settings…')).toBeTruthy();
  });

  it('saves and says so; the stored secret is never shown and not sent back', async () => {
    routes.set(`GET ${A}/settings`, () => saved);
    routes.set(`POST ${A}/settings`, (o) => ({ ...saved, ...(o.data as object) }));
    const user = userEvent.setup();
    render(<ConnectionScreen />);
    const secret = (await screen.findByLabelText('Signing secret')) as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(secret.value).toBe('');
    expect(secret.placeholder).toBe('••••3f9a');
    expect(document.body.textContent).toContain('A secret is saved (••••3f9a)');

    const site = screen.getByLabelText('Site ID');
    await user.clear(site);
    await user.type(site, 'shop-2');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await shown('Settings saved.');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.data).toEqual({ relay_url: 'https://relay.example.com', site_id: 'shop-2' });
  });

  it('sends a typed secret once and clears the field after saving', async () => {
    routes.set(`GET ${A}/settings`, () => saved);
    routes.set(`POST ${A}/settings`, () => ({ ...saved, secret_hint: '••••beef' }));
    const user = userEvent.setup();
    render(<ConnectionScreen />);
    const secret = (await screen.findByLabelText('Signing secret')) as HTMLInputElement;
    await user.type(secret, 'new-secret-value-0000beef');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await shown('Settings saved.');
    expect(calls.find((c) => c.method === 'POST')?.data).toMatchObject({ secret: 'new-secret-value-0000beef' });
    expect((screen.getByLabelText('Signing secret') as HTMLInputElement).value).toBe('');
    expect(document.body.textContent).not.toContain('new-secret-value-0000beef');
    expect(document.body.textContent).toContain('A secret is saved (••••beef)');
  });

  it("shows the server's error message when saving fails", async () => {
    routes.set(`GET ${A}/settings`, () => saved);
    routes.set(`POST ${A}/settings`, () => Promise.reject({ code: 'layersync_invalid_url', message: 'The relay URL must start with https://.' }));
    const user = userEvent.setup();
    render(<ConnectionScreen />);
    const url = await screen.findByLabelText('Relay URL');
    await user.clear(url);
    await user.type(url, 'http://relay.example.com');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await shown('The relay URL must start with https://.');
    expect(screen.queryByText('Settings saved.')).toBeNull();
  });
});

function relayRoutes(destinations: unknown[]) {
  routes.set(`GET ${R}/destination-types`, () => ({ types: [metaType] }));
  routes.set(`GET ${R}/destinations`, () => ({ destinations }));
  routes.set(`GET ${R}/browser-pixels`, () => ({ pixels: { meta: { enabled: false, id: '' } } }));
}

const metaDestination = {
  id: 1,
  slug: 'meta',
  label: 'Meta Conversions API',
  enabled: true,
  mode: 'live',
  settings: { pixel_id: '1234567890123456', access_token: '••••abcd' },
  secret_fields: ['access_token'],
  parked: null,
  event_map: null,
};

describe('Platforms (form from the settings schema)', () => {
  it('renders every schema field; the secret is write-only and shown masked', async () => {
    relayRoutes([metaDestination]);
    const user = userEvent.setup();
    render(
      <RelayStoreProvider>
        <PlatformsScreen />
      </RelayStoreProvider>,
    );
    await user.click(await screen.findByRole('button', { name: 'Edit settings' }));
    const card = document.getElementById('layersync-platform-meta')!;
    expect((within(card).getByLabelText('Pixel ID *') as HTMLInputElement).value).toBe('1234567890123456');
    expect(within(card).getByLabelText('Test event code')).toBeTruthy();
    const token = within(card).getByLabelText('Conversions API access token *') as HTMLInputElement;
    expect(token.type).toBe('password');
    expect(token.value).toBe('');
    expect(card.textContent).toContain('Saved: ••••abcd. Leave empty to keep it.');
  });

  it('marks empty required fields and sends nothing', async () => {
    relayRoutes([]);
    const user = userEvent.setup();
    render(
      <RelayStoreProvider>
        <PlatformsScreen />
      </RelayStoreProvider>,
    );
    await user.click(await screen.findByRole('button', { name: 'Enable Meta Conversions API' }));
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Pixel ID is required.')).toBeTruthy();
    expect(screen.getByText('Conversions API access token is required.')).toBeTruthy();
    await shown('Fill in the required fields: Pixel ID, Conversions API access token.');
    expect(screen.queryByText('Test event code is required.')).toBeNull();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });
});

describe('Deliveries', () => {
  it('enables Replay only while the platform still accepts the event', async () => {
    const now = Math.floor(Date.now() / 1000);
    const row = (id: number, eventId: string, age: number) => ({
      id,
      destination_id: 1,
      destination: 'meta',
      mode: 'live',
      platform_event_name: 'Lead',
      status: 'failed',
      attempts: 1,
      last_status: 400,
      last_error: 'Meta rejected the access token',
      latency_ms: 12,
      updated_at: new Date().toISOString(),
      event_id: eventId,
      event_name: 'lead',
      event_time: now - age,
    });
    relayRoutes([metaDestination]);
    routes.set(`GET ${R}/stats`, () => ({ destinations: [] }));
    routes.set(`GET ${R}/deliveries`, () => ({ deliveries: [row(1, 'fresh-event', 60), row(2, 'old-event', 8 * 24 * 3600)] }));
    render(
      <RelayStoreProvider>
        <DeliveriesScreen />
      </RelayStoreProvider>,
    );
    await waitFor(() => expect(document.querySelector('tr[data-event-id="old-event"]')).toBeTruthy());
    await waitFor(() => {
      const fresh = document.querySelector('tr[data-event-id="fresh-event"]') as HTMLElement;
      expect((within(fresh).getByRole('button', { name: 'Replay' }) as HTMLButtonElement).disabled).toBe(false);
    });
    const old = document.querySelector('tr[data-event-id="old-event"]') as HTMLElement;
    expect((within(old).getByRole('button', { name: 'Replay' }) as HTMLButtonElement).disabled).toBe(true);
    expect(old.textContent).toContain('Too old: the platform no longer accepts it.');
  });
});

describe('Empty states', () => {
  it('Live Events says how to get a first event', async () => {
    routes.set(`GET ${R}/events`, () => ({ events: [] }));
    render(<LiveEventsScreen />);
    expect(await screen.findByText(/No events yet\. Visit your shop or submit a form/)).toBeTruthy();
  });

  it('Deliveries points to the Platforms tab when nothing is connected', async () => {
    relayRoutes([]);
    routes.set(`GET ${R}/stats`, () => ({ destinations: [] }));
    routes.set(`GET ${R}/deliveries`, () => ({ deliveries: [] }));
    render(
      <RelayStoreProvider>
        <DeliveriesScreen />
      </RelayStoreProvider>,
    );
    expect(await screen.findByText('No platform is connected yet. Enable one on the Platforms tab.')).toBeTruthy();
    expect(await screen.findByText('No failed deliveries. Nothing to do.')).toBeTruthy();
  });
});
