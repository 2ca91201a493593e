/** Words a merchant understands for LayerSync's event names, identity keys and durations. */
import { __, _n, sprintf } from '@wordpress/i18n';

/** A readable name for a canonical event name; unknown names are shown as they are. */
export function eventLabel(name: string): string {
  const labels: Record<string, string> = {
    page_view: __('Page views', 'layersync'),
    lead: __('Form submissions (leads)', 'layersync'),
    sign_up: __('Sign-ups', 'layersync'),
    subscribe: __('Subscriptions', 'layersync'),
    start_trial: __('Trials started', 'layersync'),
    search: __('Searches', 'layersync'),
    view_item: __('Product views', 'layersync'),
    view_item_list: __('Product list views', 'layersync'),
    add_to_cart: __('Add to cart', 'layersync'),
    remove_from_cart: __('Remove from cart', 'layersync'),
    view_cart: __('Cart views', 'layersync'),
    begin_checkout: __('Checkout started', 'layersync'),
    add_shipping_info: __('Shipping details entered', 'layersync'),
    add_payment_info: __('Payment method chosen', 'layersync'),
    purchase: __('Purchases', 'layersync'),
    refund: __('Refunds', 'layersync'),
  };
  return labels[name] ?? name;
}

/** A readable name for a field rule target (identity key) of the lead-form settings. */
export function targetLabel(target: string): string {
  const labels: Record<string, string> = {
    em: __('Email', 'layersync'),
    ph: __('Phone', 'layersync'),
    fn: __('First name', 'layersync'),
    ln: __('Last name', 'layersync'),
    name: __('Full name (split into first and last name)', 'layersync'),
    ct: __('City', 'layersync'),
    st: __('State or region', 'layersync'),
    zp: __('Postal code', 'layersync'),
    country: __('Country', 'layersync'),
    ge: __('Gender', 'layersync'),
    db: __('Date of birth', 'layersync'),
    ignore: __('Ignore this field', 'layersync'),
  };
  return labels[target] ?? target;
}

/** "30 days", "1 day", "12 hours". */
export function duration(seconds: number): string {
  if (seconds >= 86400 && seconds % 86400 === 0) {
    const days = seconds / 86400;
    return sprintf(/* translators: %d: number of days */ _n('%d day', '%d days', days, 'layersync'), days);
  }
  const hours = Math.max(1, Math.round(seconds / 3600));
  return sprintf(/* translators: %d: number of hours */ _n('%d hour', '%d hours', hours, 'layersync'), hours);
}
