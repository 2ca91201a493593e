/**
 * The on/off list of events LayerSync records (WordPress options `layersync_site_events` and
 * `layersync_commerce_events` through /admin/settings). A switched-off event is not recorded by
 * the server hooks, not recorded by the tracker, and refused when a cached page still sends it.
 */
import { Button, Notice, ToggleControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { type AllSettings, errorMessage, saveAllSettings } from '../api';
import { eventLabel } from '../ui/labels';
import { type Status, StatusNotice, TitledCard } from '../ui/common';

function help(name: string): string {
  const texts: Record<string, string> = {
    page_view: __('Every page a visitor opens.', 'layersync'),
    lead: __('Contact Form 7, WPForms, Ninja Forms and Formidable Forms submissions. Choose which fields identify the person under “Lead forms” below.', 'layersync'),
    view_item: __('A visitor opens a product page.', 'layersync'),
    view_item_list: __('A visitor opens the shop, a category or product search results.', 'layersync'),
    add_to_cart: __('A product is added to the cart.', 'layersync'),
    remove_from_cart: __('A product is removed from the cart.', 'layersync'),
    view_cart: __('A visitor opens the cart page.', 'layersync'),
    begin_checkout: __('A visitor opens the checkout page.', 'layersync'),
    add_shipping_info: __('The customer places the order with a shipping address.', 'layersync'),
    add_payment_info: __('The customer places the order with a payment method.', 'layersync'),
    purchase: __('An order is paid (or placed, for the offline payment methods set below). Ad platforms optimise for this event: switch it off only if another tool sends your purchases.', 'layersync'),
    refund: __('You refund an order, fully or partly.', 'layersync'),
  };
  return texts[name] ?? '';
}

type Draft = { site: string[]; commerce: string[] };

export function TrackedEventsCard({ settings, onSaved }: { settings: AllSettings; onSaved: (s: AllSettings) => void }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  // Which events each group can switch, in the server's order: its lists, not a copy here.
  const { site: siteEvents, commerce: commerceEvents } = settings.trackable_events;
  const value: Draft = draft ?? { site: settings.site_events, commerce: settings.commerce_events };

  const toggle = (group: keyof Draft, order: string[], name: string, on: boolean) => {
    const next = new Set(value[group]);
    if (on) next.add(name);
    else next.delete(name);
    setDraft({ ...value, [group]: order.filter((n) => next.has(n)) });
    setStatus(null);
  };

  const save = () => {
    setBusy(true);
    setStatus(null);
    saveAllSettings({ site_events: value.site, commerce_events: value.commerce })
      .then((saved) => {
        onSaved(saved);
        setDraft(null);
        setStatus({ kind: 'success', message: __('Tracked events saved. Switched-off events are no longer recorded, even from pages a cache still serves.', 'layersync') });
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };

  const switches = (group: keyof Draft, order: string[]) =>
    order.map((name) => (
      <ToggleControl
        __nextHasNoMarginBottom
        key={name}
        label={sprintf(/* translators: 1: event description, 2: event name */ __('%1$s (%2$s)', 'layersync'), eventLabel(name), name)}
        help={help(name)}
        checked={value[group].includes(name)}
        onChange={(on) => toggle(group, order, name, on)}
      />
    ));
  const nothing = value.site.length === 0 && value.commerce.length === 0;

  return (
    <TitledCard className="layersync-tracked-events" title={__('Events to track', 'layersync')}>
      <p className="layersync-hint">{__('Switch off what you do not want recorded. Events you send yourself with other names (custom events, sign-ups, searches) are always recorded.', 'layersync')}</p>
      <fieldset className="layersync-fieldset">
        <legend>{__('On every site', 'layersync')}</legend>
        {switches('site', siteEvents)}
      </fieldset>
      <fieldset className="layersync-fieldset">
        <legend>{__('WooCommerce', 'layersync')}</legend>
        {!settings.woocommerce_active && (
          <Notice status="info" isDismissible={false} className="layersync-notice">
            {__('WooCommerce is not active on this site (or is older than LayerSync supports), so none of these events happen yet. Your choices apply as soon as it runs.', 'layersync')}
          </Notice>
        )}
        {switches('commerce', commerceEvents)}
      </fieldset>
      {nothing && (
        <Notice status="warning" isDismissible={false} className="layersync-notice">
          {__('Every event is switched off: LayerSync records nothing until you switch at least one back on.', 'layersync')}
        </Notice>
      )}
      <StatusNotice status={status} onRemove={() => setStatus(null)} />
      <div className="layersync-actions">
        <Button variant="primary" onClick={save} isBusy={busy} disabled={busy || draft === null} __next40pxDefaultSize>
          {__('Save tracked events', 'layersync')}
        </Button>
        {draft !== null && !busy && (
          <Button variant="tertiary" onClick={() => setDraft(null)} __next40pxDefaultSize>
            {__('Undo changes', 'layersync')}
          </Button>
        )}
      </div>
    </TitledCard>
  );
}
