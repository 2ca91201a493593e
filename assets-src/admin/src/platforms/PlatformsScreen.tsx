/**
 * Platforms: every destination the relay offers, with a form rendered from its settings schema
 * (labels and help come from the relay), secrets write-only, a connection test, live/dry run, and
 * separate switches for server delivery (relay) and the browser pixel (WordPress option).
 */
import { Button, Card, CardBody, CardHeader, SelectControl, TextControl, ToggleControl } from '@wordpress/components';
import { useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { type BrowserPixels, type Destination, type DestinationType, errorMessage, relay } from '../api';
import { useRelayStore } from '../store';
import { LoadError, Loading, ScreenHeading, type Status, StatusNotice, useLoad } from '../ui/common';

/** Tracker platform key for a relay destination slug (browser pixels). */
const PIXEL_KEY: Record<string, string> = {
  meta: 'meta',
  ga4: 'google',
  'google-ads': 'google',
  tiktok: 'tiktok',
  pinterest: 'pinterest',
  snapchat: 'snapchat',
  linkedin: 'linkedin',
  reddit: 'reddit',
  x: 'x',
};

export function PlatformsScreen() {
  const { types, destinations, error, refresh } = useRelayStore();
  const pixels = useLoad(relay.pixels);
  // The relay may have parked or resumed a platform since the store loaded: show its state now.
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <div className="layersync-screen layersync-platforms">
      <ScreenHeading
        title={__('Platforms', 'layersync')}
        intro={__('Connect the ad and analytics platforms that should receive your conversions. Server delivery goes through your relay; the browser pixel runs in visitors\' browsers.', 'layersync')}
      />
      {error && <LoadError message={error} retry={() => void refresh()} />}
      {!error && (!types || !destinations) && <Loading />}
      {types?.length === 0 && <p>{__('This relay offers no platforms. Update the relay.', 'layersync')}</p>}
      {types &&
        destinations &&
        types.map((t) => (
          <PlatformCard key={t.slug} type={t} destination={destinations.find((d) => d.slug === t.slug) ?? null} pixels={pixels.data} setPixels={pixels.setData} />
        ))}
    </div>
  );
}

function PlatformCard({
  type,
  destination,
  pixels,
  setPixels,
}: {
  type: DestinationType;
  destination: Destination | null;
  pixels: BrowserPixels | null;
  setPixels: (p: BrowserPixels) => void;
}) {
  const { put, refresh } = useRelayStore();
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [status, setStatus] = useState<Status>(null);
  const pixelKey = PIXEL_KEY[type.slug];
  const pixel = pixelKey ? pixels?.[pixelKey] : undefined;
  const [pixelId, setPixelId] = useState<string | null>(null);
  /** Required fields left empty at the last save attempt. */
  const [missing, setMissing] = useState<string[]>([]);

  const run = async (what: string, fn: () => Promise<string | null>) => {
    setBusy(what);
    setStatus(null);
    try {
      const message = await fn();
      if (message) setStatus({ kind: 'success', message });
    } catch (e) {
      setStatus({ kind: 'error', message: errorMessage(e) });
    } finally {
      setBusy(null);
    }
  };

  const save = () =>
    run('save', async () => {
      // Required fields must have a value: typed now, or already saved (a saved secret is kept).
      const empty = type.fields
        .filter((f) => f.required && f.type !== 'boolean' && f.type !== 'object')
        .filter((f) => {
          const typed = values[f.name];
          if (typed !== undefined && typed !== '') return false;
          if (typed === '' && !f.secret) return true;
          const current = destination?.settings[f.name];
          return current === undefined || current === null || current === '';
        });
      setMissing(empty.map((f) => f.name));
      if (empty.length > 0) {
        throw new Error(sprintf(/* translators: %s: field names */ __('Fill in the required fields: %s.', 'layersync'), empty.map((f) => f.title).join(', ')));
      }
      // Empty secret fields keep the stored secret: send only what was typed.
      const settings: Record<string, unknown> = { ...(destination?.settings ?? {}) };
      for (const f of type.fields) {
        if (f.secret) delete settings[f.name];
      }
      for (const [k, v] of Object.entries(values)) if (v !== '' && v !== undefined) settings[k] = v;
      if (destination) {
        if (Object.keys(values).length === 0) return __('Nothing changed.', 'layersync');
        // Secrets left out are kept by the relay (it never sends them back, only masked).
        put(await relay.updateDestination(destination.id, { settings }));
      } else {
        put(await relay.createDestination({ slug: type.slug, settings, mode: 'dry_run' }));
      }
      setValues({});
      setOpen(false);
      return destination ? __('Settings saved. A parked platform gets a new try.', 'layersync') : __('Connected in dry run: payloads are built but not sent. Test it, then switch to live.', 'layersync');
    });

  const test = () =>
    run('test', async () => {
      if (!destination) return null;
      const d = await relay.testDestination(destination.id);
      setStatus({ kind: d.ok ? 'success' : 'error', message: d.message });
      return null;
    });

  const toggleServer = (enabled: boolean) =>
    run('server', async () => {
      if (!destination) return null;
      put(await relay.updateDestination(destination.id, { enabled }));
      return enabled ? __('Server delivery is on.', 'layersync') : __('Server delivery is off: new events are not sent to this platform.', 'layersync');
    });

  const toggleMode = (live: boolean) =>
    run('mode', async () => {
      if (!destination) return null;
      put(await relay.updateDestination(destination.id, { mode: live ? 'live' : 'dry_run' }));
      return live ? __('Live: events are sent to the platform.', 'layersync') : __('Dry run: payloads are built and stored, nothing is sent.', 'layersync');
    });

  const togglePixel = (enabled: boolean) =>
    run('pixel', async () => {
      if (!pixelKey) return null;
      const fallback = typeof destination?.settings.pixel_id === 'string' ? destination.settings.pixel_id : '';
      setPixels(await relay.setPixel({ platform: pixelKey, enabled, id: pixelId ?? pixel?.id ?? fallback }));
      return enabled ? __('Browser pixel is on (it loads only with consent).', 'layersync') : __('Browser pixel is off.', 'layersync');
    });

  const id = `layersync-platform-${type.slug}`;
  return (
    <Card className="layersync-platform" id={id}>
      <CardHeader>
        <h3 className="layersync-card-title">{type.label}</h3>
        <span className="layersync-platform__state">
          {!destination
            ? __('Not connected', 'layersync')
            : destination.parked
              ? __('Parked: credentials refused', 'layersync')
              : destination.enabled
                ? destination.mode === 'live'
                  ? __('Live', 'layersync')
                  : __('Dry run', 'layersync')
                : __('Server delivery off', 'layersync')}
        </span>
      </CardHeader>
      <CardBody>
        {destination?.parked && (
          <p className="layersync-platform__parked" role="alert">
            {sprintf(/* translators: %s: the platform's error */ __('The platform refused the credentials: %s. Enter valid credentials and save to resume.', 'layersync'), destination.parked.reason)}
          </p>
        )}
        {destination && (
          <div className="layersync-platform__switches">
            <ToggleControl
              __nextHasNoMarginBottom
              label={__('Server delivery (through the relay)', 'layersync')}
              checked={destination.enabled}
              disabled={busy !== null}
              onChange={toggleServer}
            />
            <ToggleControl
              __nextHasNoMarginBottom
              label={__('Live (off: dry run, nothing is sent)', 'layersync')}
              checked={destination.mode === 'live'}
              disabled={busy !== null}
              onChange={toggleMode}
            />
          </div>
        )}
        {pixelKey && (
          <div className="layersync-platform__pixel">
            <TextControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={__('Browser pixel / tag ID', 'layersync')}
              value={pixelId ?? pixel?.id ?? ''}
              onChange={setPixelId}
            />
            <ToggleControl
              __nextHasNoMarginBottom
              label={__('Browser pixel (in visitors\' browsers)', 'layersync')}
              checked={pixel?.enabled ?? false}
              disabled={busy !== null || pixels === null}
              onChange={togglePixel}
            />
          </div>
        )}
        {open && (
          <div className="layersync-platform__form">
            {type.fields.map((f) => {
              const current = destination?.settings[f.name];
              const label = f.title + (f.required ? ' *' : '');
              const required = missing.includes(f.name)
                ? sprintf(/* translators: %s: field name */ __('%s is required.', 'layersync'), f.title)
                : null;
              const described = f.secret
                ? `${f.description ?? ''} ${destination && typeof current === 'string' ? sprintf(/* translators: %s: masked secret */ __('Saved: %s. Leave empty to keep it.', 'layersync'), current) : ''}`.trim()
                : (f.description ?? undefined);
              const help = required ?? described;
              if (f.type === 'boolean') {
                return (
                  <ToggleControl
                    __nextHasNoMarginBottom
                    key={f.name}
                    label={label}
                    help={help}
                    checked={Boolean(values[f.name] ?? current ?? f.default ?? false)}
                    onChange={(v) => setValues((x) => ({ ...x, [f.name]: v }))}
                  />
                );
              }
              if (f.type === 'enum' && f.enum) {
                return (
                  <SelectControl
                    __next40pxDefaultSize
                    __nextHasNoMarginBottom
                    key={f.name}
                    label={label}
                    help={help}
                    value={String(values[f.name] ?? current ?? f.default ?? '')}
                    options={[{ label: '—', value: '' }, ...f.enum.map((e) => ({ label: e, value: e }))]}
                    onChange={(v) => setValues((x) => ({ ...x, [f.name]: v }))}
                  />
                );
              }
              if (f.type === 'object') return null;
              return (
                <TextControl
                  __next40pxDefaultSize
                  __nextHasNoMarginBottom
                  key={f.name}
                  className={required ? 'layersync-field--invalid' : undefined}
                  aria-invalid={required ? true : undefined}
                  required={f.required && !(f.secret && destination)}
                  label={label}
                  help={help}
                  type={f.secret ? 'password' : f.type === 'string' ? 'text' : 'number'}
                  autoComplete={f.secret ? 'new-password' : 'off'}
                  value={String(values[f.name] ?? (f.secret ? '' : (current ?? '')))}
                  onChange={(v) => setValues((x) => ({ ...x, [f.name]: f.type === 'integer' || f.type === 'number' ? (v === '' ? '' : Number(v)) : v }))}
                />
              );
            })}
          </div>
        )}
        <StatusNotice status={status} onRemove={() => setStatus(null)} />
        <div className="layersync-actions">
          {open ? (
            <>
              <Button variant="primary" onClick={() => void save()} isBusy={busy === 'save'} disabled={busy !== null} __next40pxDefaultSize>
                {destination ? __('Save settings', 'layersync') : __('Connect', 'layersync')}
              </Button>
              <Button variant="tertiary" onClick={() => setOpen(false)} __next40pxDefaultSize>
                {__('Cancel', 'layersync')}
              </Button>
            </>
          ) : (
            <Button variant={destination ? 'secondary' : 'primary'} onClick={() => setOpen(true)} __next40pxDefaultSize>
              {destination ? __('Edit settings', 'layersync') : sprintf(/* translators: %s: platform */ __('Enable %s', 'layersync'), type.label)}
            </Button>
          )}
          {destination && type.supports_connection_test && (
            <Button variant="secondary" onClick={() => void test()} isBusy={busy === 'test'} disabled={busy !== null} __next40pxDefaultSize>
              {busy === 'test' ? __('Testing…', 'layersync') : __('Test', 'layersync')}
            </Button>
          )}
          {destination && (
            <Button variant="tertiary" onClick={() => void refresh()} __next40pxDefaultSize>
              {__('Refresh', 'layersync')}
            </Button>
          )}
        </div>
      </CardBody>
    </Card>
  );
}
