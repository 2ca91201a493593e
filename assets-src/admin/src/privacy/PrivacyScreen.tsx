/**
 * Privacy: consent default and IP anonymization (WordPress options through /admin/settings),
 * Meta Limited Data Use and the Do-Not-Sell mode (the relay's site policy through the proxy),
 * and read-only facts the server reports: the consent source detected on the site and how long
 * the WordPress queue keeps events.
 */
import { Button, Notice, SelectControl, TextControl, ToggleControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { type AllSettings, type ConsentSourceReport, type RetentionReport, type SitePolicy, errorMessage, getAllSettings, relay, saveAllSettings } from '../api';
import { LoadError, Loading, ScreenHeading, type Status, StatusNotice, TitledCard, useLoad } from '../ui/common';
import { duration, eventLabel } from '../ui/labels';

export function PrivacyScreen() {
  const settings = useLoad(getAllSettings);
  return (
    <div className="layersync-screen layersync-privacy">
      <ScreenHeading title={__('Privacy', 'layersync')} intro={__('What LayerSync may track before visitors choose, and what platforms may do with it.', 'layersync')} />
      {settings.error && <LoadError message={settings.error} retry={settings.reload} />}
      {!settings.error && !settings.data && <Loading />}
      {settings.data && <ConsentSourceCard source={settings.data.consent_source} consentDefault={settings.data.consent_default} />}
      {settings.data && <SiteOptions settings={settings.data} onSaved={settings.setData} />}
      <RelayPolicy />
      {settings.data?.retention && <Retention retention={settings.data.retention} />}
    </div>
  );
}

/** The consent manager the server detected, and what each kind of event takes its consent from. */
function ConsentSourceCard({ source, consentDefault }: { source: ConsentSourceReport | undefined; consentDefault: string }) {
  const id = source?.id ?? 'none';
  const others = (source?.detected ?? []).filter((d) => d.id !== id && d.id !== 'wp_consent_api');
  const fallback = consentDefault === 'denied' ? __('denied until the visitor agrees', 'layersync') : __('granted', 'layersync');
  let inUse: string;
  if (id === 'none') {
    inUse = sprintf(
      /* translators: %s: the default consent, e.g. "granted" */
      __('No consent banner plugin was found on this site. Consent stays at the default (%s) unless your site calls window.LayerSync.setConsent() or a banner reports choices through Google Consent Mode v2 or IAB TCF v2.2.', 'layersync'),
      fallback,
    );
  } else if (id === 'wp_consent_api') {
    inUse = __('The WP Consent API. No consent banner plugin LayerSync knows was found: make sure your banner reports visitors’ choices to the WP Consent API.', 'layersync');
  } else {
    inUse = sprintf(
      /* translators: %s: consent manager name, e.g. Cookiebot */
      __('%s, found on this site. The LayerSync tracker reads each visitor’s choice from it in the browser.', 'layersync'),
      source?.label || id,
    );
  }
  const server = source?.wp_consent_api
    ? __('Orders use the choice the tracker saved in the visitor’s browser. Lead forms, and orders placed without that saved choice, take consent from the WP Consent API.', 'layersync')
    : sprintf(
        /* translators: %s: the default consent, e.g. "granted" */
        __('Orders use the choice the tracker saved in the visitor’s browser. Lead forms, and orders placed without that saved choice, use the default (%s), because the WP Consent API plugin is not active.', 'layersync'),
        fallback,
      );
  return (
    <TitledCard className="layersync-privacy__consent-source" title={__('Consent source in use', 'layersync')}>
      <p className="layersync-consent-source" data-source={id}>
        <strong>{id === 'none' ? __('None detected', 'layersync') : id === 'wp_consent_api' ? __('WP Consent API', 'layersync') : source?.label || id}</strong>
        {' — '}
        {inUse}
      </p>
      {others.length > 0 && (
        <p>
          {sprintf(
            /* translators: %s: comma-separated consent manager names */
            __('Also found: %s. Keep only one consent banner active, or visitors may be asked twice.', 'layersync'),
            others.map((o) => o.label).join(', '),
          )}
        </p>
      )}
      <p>{server}</p>
      {id === 'none' && consentDefault !== 'denied' && (
        <Notice status="warning" isDismissible={false} className="layersync-notice">
          {__('Visitors from the EU/EEA and UK must be asked before they are tracked: install a consent banner plugin, or turn on “Deny tracking until the visitor consents” below.', 'layersync')}
        </Notice>
      )}
    </TitledCard>
  );
}

function SiteOptions({ settings: s, onSaved }: { settings: AllSettings; onSaved: (s: AllSettings) => void }) {
  const [draft, setDraft] = useState<Pick<AllSettings, 'consent_default' | 'anonymize_ip'> | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  const v = draft ?? { consent_default: s.consent_default, anonymize_ip: s.anonymize_ip };

  const save = () => {
    setBusy(true);
    setStatus(null);
    saveAllSettings(v)
      .then((saved) => {
        onSaved(saved);
        setDraft(null);
        setStatus({ kind: 'success', message: __('Privacy settings saved.', 'layersync') });
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };

  return (
    <TitledCard className="layersync-privacy__site" title={__('On this site', 'layersync')}>
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
      <StatusNotice status={status} onRemove={() => setStatus(null)} />
      <div className="layersync-actions">
        <Button variant="primary" onClick={save} isBusy={busy} disabled={busy || draft === null} __next40pxDefaultSize>
          {__('Save privacy settings', 'layersync')}
        </Button>
      </div>
    </TitledCard>
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
    <TitledCard className="layersync-privacy__relay" title={__('At the platforms (relay policy)', 'layersync')}>
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
    </TitledCard>
  );
}

/** How long the WordPress queue keeps events, as the plugin reports it. */
function Retention({ retention }: { retention: RetentionReport }) {
  const o = retention.outbox;
  return (
    <TitledCard className="layersync-privacy__retention" title={__('Data retention', 'layersync')}>
      <h4 className="layersync-subtitle">{__('In WordPress', 'layersync')}</h4>
      <p>{__('Events wait in the WordPress queue only until the relay has them. While the relay cannot be reached, an event not yet delivered is kept:', 'layersync')}</p>
      <ul className="layersync-list layersync-retention">
        {o.tiers.map((tier) => {
          const names = tier.events.map(eventLabel);
          if (tier.custom) names.push(__('custom events', 'layersync'));
          return (
            <li key={tier.seconds}>
              {sprintf(/* translators: 1: list of events, 2: duration such as "7 days" */ __('%1$s: %2$s', 'layersync'), names.join(', '), duration(tier.seconds))}
              {!tier.evictable && ` ${__('(never removed to make room)', 'layersync')}`}
            </li>
          );
        })}
      </ul>
      <p>
        {sprintf(
          /* translators: 1: duration such as "3 days", 2: duration such as "30 days" */
          __('Delivered events are removed after %1$s, failed ones after %2$s.', 'layersync'),
          duration(o.delivered_seconds),
          duration(o.failed_seconds),
        )}
      </p>
      <p>
        {o.max_rows > 0
          ? sprintf(
              /* translators: %s: number of events */
              __('The queue holds at most %s events. Above that, delivered and failed events are removed first, then waiting events from the least important up (page views first), oldest first; purchases and refunds never.', 'layersync'),
              o.max_rows.toLocaleString(),
            )
          : __('The queue has no size limit.', 'layersync')}
      </p>
      <h4 className="layersync-subtitle">{__('At the relay', 'layersync')}</h4>
      <RelayRetention />
    </TitledCard>
  );
}

/** The relay's retention, as it reports it with this site (LAYERSYNC_RETENTION_DAYS where it runs). */
function RelayRetention() {
  const site = useLoad(relay.site);
  if (site.error) {
    return (
      <p>
        {sprintf(
          /* translators: %s: the error message */
          __('The relay could not be asked how long it keeps events (%s). Check the connection, then reload this page.', 'layersync'),
          site.error,
        )}
      </p>
    );
  }
  if (!site.data) return <Loading />;
  const days = site.data.retention_days;
  if (days === undefined) return <p>{__('This relay does not report how long it keeps events; ask whoever runs it.', 'layersync')}</p>;
  if (days === 0) return <p>{__('The relay keeps events until they are deleted by a privacy request (no retention period is set where it runs).', 'layersync')}</p>;
  return (
    <p>
      {sprintf(
        /* translators: %s: duration such as "90 days" */
        __('The relay deletes events, with their deliveries and the platforms’ answers, %s after they arrived; an event still waiting to be delivered is kept until it is. Personal data in events is only ever stored hashed.', 'layersync'),
        duration(days * 86400),
      )}
    </p>
  );
}
