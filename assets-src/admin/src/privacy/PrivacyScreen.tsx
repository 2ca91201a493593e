/**
 * Privacy: consent default and IP anonymization (WordPress options through /admin/settings),
 * Meta Limited Data Use and the Do-Not-Sell mode (the relay's site policy through the proxy),
 * and read-only facts: where consent comes from and how long queued events are kept.
 */
import { Button, Card, CardBody, CardHeader, SelectControl, TextControl, ToggleControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';
import { type AllSettings, type SitePolicy, errorMessage, getAllSettings, relay, saveAllSettings } from '../api';
import { LoadError, Loading, ScreenHeading, type Status, StatusNotice, useLoad } from '../ui/common';

export function PrivacyScreen() {
  return (
    <div className="layersync-screen layersync-privacy">
      <ScreenHeading title={__('Privacy', 'layersync')} intro={__('What LayerSync may track before visitors choose, and what platforms may do with it.', 'layersync')} />
      <SiteOptions />
      <RelayPolicy />
      <Retention />
    </div>
  );
}

function SiteOptions() {
  const settings = useLoad(getAllSettings);
  const [draft, setDraft] = useState<Pick<AllSettings, 'consent_default' | 'anonymize_ip'> | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  if (settings.error) return <LoadError message={settings.error} retry={settings.reload} />;
  if (!settings.data) return <Loading />;
  const s = settings.data;
  const v = draft ?? { consent_default: s.consent_default, anonymize_ip: s.anonymize_ip };

  const save = () => {
    setBusy(true);
    setStatus(null);
    saveAllSettings({ relay_url: s.relay_url, site_id: s.site_id, ...v })
      .then((saved) => {
        settings.setData(saved);
        setDraft(null);
        setStatus({ kind: 'success', message: __('Privacy settings saved.', 'layersync') });
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };

  return (
    <Card className="layersync-privacy__site">
      <CardHeader>
        <h3 className="layersync-card-title">{__('On this site', 'layersync')}</h3>
      </CardHeader>
      <CardBody>
        <ToggleControl
          __nextHasNoMarginBottom
          label={__('Deny tracking until the visitor consents (default-denied)', 'layersync')}
          help={__('On: nothing is sent for a visitor until your consent banner reports their choice. Required in the EU/EEA and UK.', 'layersync')}
          checked={v.consent_default === 'denied'}
          onChange={(on) => setDraft({ ...v, consent_default: on ? 'denied' : 'granted' })}
        />
        <ToggleControl
          __nextHasNoMarginBottom
          label={__('Anonymize IP addresses', 'layersync')}
          help={__('On: the last part of each visitor IP address is removed before the event leaves WordPress (platforms match fewer visitors).', 'layersync')}
          checked={v.anonymize_ip}
          onChange={(on) => setDraft({ ...v, anonymize_ip: on })}
        />
        <p className="layersync-privacy__consent-source">
          <strong>{__('Consent source in use: ', 'layersync')}</strong>
          {s.require_consent
            ? __('your consent banner (Google Consent Mode v2, IAB TCF v2.2, the WP Consent API or a supported consent plugin, detected in the browser); events wait for its signal.', 'layersync')
            : __('none required: events are sent unless a consent banner on the page reports a refusal.', 'layersync')}
        </p>
        <StatusNotice status={status} onRemove={() => setStatus(null)} />
        <div className="layersync-actions">
          <Button variant="primary" onClick={save} isBusy={busy} disabled={busy || draft === null} __next40pxDefaultSize>
            {__('Save privacy settings', 'layersync')}
          </Button>
        </div>
      </CardBody>
    </Card>
  );
}

function RelayPolicy() {
  const policy = useLoad(relay.policy);
  const [draft, setDraft] = useState<Pick<SitePolicy, 'default_denied' | 'ldu' | 'do_not_sell_mode'> | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  if (policy.error) return <LoadError message={policy.error} retry={policy.reload} />;
  if (!policy.data) return <Loading />;
  const current = policy.data;
  const v = draft ?? { default_denied: current.default_denied, ldu: current.ldu, do_not_sell_mode: current.do_not_sell_mode };

  const save = () => {
    setBusy(true);
    setStatus(null);
    // The relay replaces the whole policy: send what this screen does not edit (purposes) too.
    relay
      .setPolicy({ ...current, ...v })
      .then((p) => {
        policy.setData(p);
        setDraft(null);
        setStatus({ kind: 'success', message: __('Platform privacy policy saved. It applies to every event not sent yet.', 'layersync') });
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };

  return (
    <Card className="layersync-privacy__relay">
      <CardHeader>
        <h3 className="layersync-card-title">{__('At the platforms (relay policy)', 'layersync')}</h3>
      </CardHeader>
      <CardBody>
        <ToggleControl
          __nextHasNoMarginBottom
          label={__('Treat events without a consent record as denied', 'layersync')}
          help={__('On: the relay sends an event that carries no consent information to no platform that needs consent.', 'layersync')}
          checked={v.default_denied}
          onChange={(on) => setDraft({ ...v, default_denied: on })}
        />
        <ToggleControl
          __nextHasNoMarginBottom
          label={__('Meta Limited Data Use (LDU)', 'layersync')}
          help={__('For US state privacy laws: Meta processes events with Limited Data Use. Leave country and state empty to let Meta geolocate.', 'layersync')}
          checked={v.ldu.enabled}
          onChange={(on) => setDraft({ ...v, ldu: { ...v.ldu, enabled: on } })}
        />
        {v.ldu.enabled && (
          <div className="layersync-filters">
            <TextControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={__('LDU country (ISO code, e.g. US)', 'layersync')}
              value={v.ldu.country ?? ''}
              onChange={(c) => setDraft({ ...v, ldu: { ...v.ldu, country: c.toUpperCase() || undefined } })}
            />
            <TextControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={__('LDU state (e.g. CA)', 'layersync')}
              value={v.ldu.state ?? ''}
              onChange={(c) => setDraft({ ...v, ldu: { ...v.ldu, state: c.toUpperCase() || undefined } })}
            />
          </div>
        )}
        <SelectControl
          __next40pxDefaultSize
          __nextHasNoMarginBottom
          label={__('When a visitor opts out of sale/sharing (Do Not Sell)', 'layersync')}
          value={v.do_not_sell_mode}
          options={[
            { label: __('Drop their events for advertising platforms', 'layersync'), value: 'drop' },
            { label: __('Send them with restricted processing (LDU / restricted data)', 'layersync'), value: 'limited' },
          ]}
          onChange={(m: string) => setDraft({ ...v, do_not_sell_mode: m as SitePolicy['do_not_sell_mode'] })}
        />
        <StatusNotice status={status} onRemove={() => setStatus(null)} />
        <div className="layersync-actions">
          <Button variant="primary" onClick={save} isBusy={busy} disabled={busy || draft === null} __next40pxDefaultSize>
            {__('Save platform policy', 'layersync')}
          </Button>
        </div>
      </CardBody>
    </Card>
  );
}

function Retention() {
  return (
    <Card className="layersync-privacy__retention">
      <CardHeader>
        <h3 className="layersync-card-title">{__('Data retention in WordPress', 'layersync')}</h3>
      </CardHeader>
      <CardBody>
        <p>{__('Events wait in the WordPress queue only until the relay has them. While the relay cannot be reached, an undelivered event is kept:', 'layersync')}</p>
        <ul className="layersync-list">
          <li>{__('Purchases and refunds: 30 days (never dropped to make room).', 'layersync')}</li>
          <li>{__('Leads, sign-ups, subscriptions and trials: 7 days.', 'layersync')}</li>
          <li>{__('Checkout steps and add to cart: 7 days.', 'layersync')}</li>
          <li>{__('Browsing events (page and product views, searches, custom events): 1 day; dropped first when the queue is full.', 'layersync')}</li>
        </ul>
        <p>{__('Delivered events are removed after 3 days, failed ones after 30 days.', 'layersync')}</p>
      </CardBody>
    </Card>
  );
}
