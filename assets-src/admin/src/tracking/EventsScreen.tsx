/**
 * Events: which events are recorded and which lead-form fields identify the person (WordPress
 * options through /admin/settings and /admin/forms), which platform event each LayerSync event
 * is sent as (per connected platform, the relay's event map through the proxy), and when an
 * offline-gateway order counts as a purchase (/admin/settings).
 */
import { Button, Card, CardBody, CardHeader, CheckboxControl, SelectControl, TextControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { type AllSettings, type Destination, type DestinationType, errorMessage, getAllSettings, relay, saveAllSettings } from '../api';
import { useRelayStore } from '../store';
import { LoadError, Loading, ScreenHeading, type Status, StatusNotice, TitledCard, useLoad } from '../ui/common';
import { LeadFormsCard } from './LeadForms';
import { TrackedEventsCard } from './TrackedEvents';

const GATEWAY_LABELS: Record<string, string> = {
  bacs: 'Direct bank transfer (bacs)',
  cheque: 'Check payments (cheque)',
  cod: 'Cash on delivery (cod)',
};

export function EventsScreen() {
  const { types, destinations, error, refresh } = useRelayStore();
  const settings = useLoad(getAllSettings);
  return (
    <div className="layersync-screen layersync-events">
      <ScreenHeading
        title={__('Events', 'layersync')}
        intro={__('Choose which events LayerSync records, which form fields identify a lead, the name each platform receives, and when an order paid offline counts as a purchase.', 'layersync')}
      />
      {settings.error && <LoadError message={settings.error} retry={settings.reload} />}
      {!settings.error && !settings.data && <Loading />}
      {settings.data && <TrackedEventsCard settings={settings.data} onSaved={settings.setData} />}
      {settings.data && <LeadFormsCard leadsOn={(settings.data.site_events ?? ['lead']).includes('lead')} />}
      <h3>{__('Event names per platform', 'layersync')}</h3>
      {error && <LoadError message={error} retry={() => void refresh()} />}
      {!error && (!types || !destinations) && <Loading />}
      {destinations?.length === 0 && (
        <p className="layersync-empty">{__('No platform is connected yet. Connect one on the Platforms tab, then choose its event names here.', 'layersync')}</p>
      )}
      {types &&
        destinations?.map((d) => {
          const t = types.find((x) => x.slug === d.slug);
          return t ? <EventMapCard key={d.id} destination={d} type={t} /> : null;
        })}
      {settings.data && <PurchasePolicy settings={settings.data} onSaved={settings.setData} />}
    </div>
  );
}

function EventMapCard({ destination, type }: { destination: Destination; type: DestinationType }) {
  const { put } = useRelayStore();
  const overrides = destination.event_map ?? {};
  const names = Array.from(new Set([...Object.keys(type.default_event_map), ...Object.keys(overrides)])).sort();
  const [draft, setDraft] = useState<Record<string, string | null>>(overrides);
  const [newName, setNewName] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  const all = Array.from(new Set([...names, ...Object.keys(draft)])).sort();

  const save = () => {
    setBusy(true);
    setStatus(null);
    const map: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(draft)) if (v === null || v.trim() !== '') map[k] = v === null ? null : v.trim();
    relay
      .setEventMap(destination.id, Object.keys(map).length ? map : null)
      .then((d) => {
        put(d);
        setDraft(d.event_map ?? {});
        setStatus({ kind: 'success', message: __('Event names saved. New events use them right away.', 'layersync') });
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };

  return (
    <Card className="layersync-event-map" id={`layersync-event-map-${destination.slug}`}>
      <CardHeader>
        <h4 className="layersync-card-title">{destination.label}</h4>
      </CardHeader>
      <CardBody>
        <table className="widefat striped layersync-table">
          <thead>
            <tr>
              <th scope="col">{__('LayerSync event', 'layersync')}</th>
              <th scope="col">{__('Sent as', 'layersync')}</th>
              <th scope="col">{__('Send', 'layersync')}</th>
            </tr>
          </thead>
          <tbody>
            {all.map((name) => {
              const value = draft[name];
              return (
                <tr key={name}>
                  <td>{name}</td>
                  <td>
                    <TextControl
                      __next40pxDefaultSize
                      __nextHasNoMarginBottom
                      label={sprintf(/* translators: %s: event name */ __('Platform name for %s', 'layersync'), name)}
                      hideLabelFromVision
                      value={value ?? ''}
                      placeholder={type.default_event_map[name] ?? ''}
                      disabled={value === null}
                      onChange={(v) => setDraft((x) => ({ ...x, [name]: v }))}
                    />
                  </td>
                  <td>
                    <CheckboxControl
                      __nextHasNoMarginBottom
                      label={__('Send', 'layersync')}
                      checked={value !== null}
                      onChange={(on) => setDraft((x) => ({ ...x, [name]: on ? '' : null }))}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <p className="layersync-hint">{__('Leave a name empty to use the default shown in grey.', 'layersync')}</p>
        <div className="layersync-actions">
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__('Add a custom event (e.g. custom:quote_requested)', 'layersync')}
            value={newName}
            onChange={setNewName}
          />
          <Button
            variant="secondary"
            disabled={newName.trim() === '' || all.includes(newName.trim())}
            onClick={() => {
              setDraft((x) => ({ ...x, [newName.trim()]: '' }));
              setNewName('');
            }}
            __next40pxDefaultSize
          >
            {__('Add', 'layersync')}
          </Button>
        </div>
        <StatusNotice status={status} onRemove={() => setStatus(null)} />
        <div className="layersync-actions">
          <Button variant="primary" onClick={save} isBusy={busy} disabled={busy} __next40pxDefaultSize>
            {__('Save event names', 'layersync')}
          </Button>
        </div>
      </CardBody>
    </Card>
  );
}

function PurchasePolicy({ settings, onSaved }: { settings: AllSettings; onSaved: (s: AllSettings) => void }) {
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  const timing = draft ?? settings.purchase_timing ?? {};
  const gateways = Object.keys(timing);

  const save = () => {
    setBusy(true);
    setStatus(null);
    saveAllSettings({ purchase_timing: timing })
      .then((s) => {
        onSaved(s);
        setDraft(null);
        setStatus({ kind: 'success', message: __('Purchase policy saved.', 'layersync') });
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };

  return (
    <TitledCard className="layersync-purchase-policy" title={__('Purchases paid offline', 'layersync')}>
      {gateways.length === 0 ? (
        <p className="layersync-empty">{__('No offline payment method is active. Enable bank transfer, check or cash on delivery in WooCommerce → Settings → Payments to choose when they count as a purchase.', 'layersync')}</p>
      ) : (
        gateways.map((g) => (
          <SelectControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            key={g}
            label={GATEWAY_LABELS[g] ?? g}
            value={timing[g] as 'placed' | 'paid'}
            options={[
              { label: __('When the order is placed', 'layersync'), value: 'placed' },
              { label: __('When the payment is confirmed (order processing or completed)', 'layersync'), value: 'paid' },
            ]}
            onChange={(v: string) => setDraft({ ...timing, [g]: v })}
          />
        ))
      )}
      <StatusNotice status={status} onRemove={() => setStatus(null)} />
      {gateways.length > 0 && (
        <div className="layersync-actions">
          <Button variant="primary" onClick={save} isBusy={busy} disabled={busy || draft === null} __next40pxDefaultSize>
            {__('Save purchase policy', 'layersync')}
          </Button>
        </div>
      )}
    </TitledCard>
  );
}
