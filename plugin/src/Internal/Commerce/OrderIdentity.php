<?php
/**
 * Who placed an order, and under which consent, kept on the order.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Identity\Hasher;
use LayerSync\Internal\Settings;

/**
 * Captures at checkout what later server events need although no browser is present — the
 * gateway's payment callback, the merchant marking a bank transfer paid, a refund weeks later —
 * and stores it on the order through the CRUD API (HPOS and legacy storage alike):
 *
 * - `_layersync_identity`: SHA-256 hashes of the billing (else shipping) email with its Google
 *   and Reddit variants, phone (ph and ph_e164, national numbers completed with the billing
 *   country's calling code), first and last name, city, state, postcode and country; the click
 *   and browser ids of the checkout request's cookies (ClickIds) that consent allows.
 * - `_layersync_consent`: the consent snapshot of the checkout (ConsentSnapshot).
 * - `_layersync_context`: page URL (the checkout page, without the order key), user agent,
 *   IP (anonymized when the site says so) and locale of the customer's request.
 * - `_layersync_capture`: how it was captured — `{"via": "checkout"|"store_api"|"pay_for_order"|
 *   "order_received", "at": unix time}`.
 *
 * An order no customer's browser ever touched (created in wp-admin or over the REST API and paid
 * offline) has none of these: its events carry the hashes of its billing data, computed when
 * they are recorded, and no consent snapshot (the server's consent policy decides).
 *
 * Raw personal data is never stored: only hashes, opaque ids and the request context.
 * Browser data is read only on the customer's own requests (checkout, pay-for-order, the
 * thank-you page), never in wp-admin, where the cookies would be the merchant's.
 *
 * @since 0.1.0
 */
final class OrderIdentity {

	public const META_IDENTITY = '_layersync_identity';
	public const META_CONSENT  = '_layersync_consent';
	public const META_CONTEXT  = '_layersync_context';
	public const META_CAPTURE  = '_layersync_capture';

	/**
	 * Settings (calling code).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Consent of the current request.
	 *
	 * @var ConsentSnapshot
	 */
	private ConsentSnapshot $consent;

	/**
	 * Click ids of the current request.
	 *
	 * @var ClickIds
	 */
	private ClickIds $click_ids;

	/**
	 * Context of the current request.
	 *
	 * @var RequestContext
	 */
	private RequestContext $request;

	/**
	 * Constructor.
	 *
	 * @param Settings        $settings  Settings.
	 * @param ConsentSnapshot $consent   Consent of the current request.
	 * @param ClickIds        $click_ids Click ids of the current request.
	 * @param RequestContext  $request   Context of the current request.
	 */
	public function __construct( Settings $settings, ConsentSnapshot $consent, ClickIds $click_ids, RequestContext $request ) {
		$this->settings  = $settings;
		$this->consent   = $consent;
		$this->click_ids = $click_ids;
		$this->request   = $request;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'woocommerce_privacy_remove_order_personal_data', array( $this, 'forget' ), 10, 1 );
	}

	/**
	 * `woocommerce_privacy_remove_order_personal_data` (Tools → Erase Personal Data, or the
	 * order anonymization WooCommerce runs for retention): removes what was captured at checkout.
	 * The purchase marker stays: it names no one and keeps the purchase from being sent again.
	 *
	 * @param mixed $order Order.
	 */
	public function forget( $order ): void {
		if ( ! $order instanceof \WC_Order ) {
			return;
		}
		foreach ( array( self::META_IDENTITY, self::META_CONSENT, self::META_CONTEXT, self::META_CAPTURE ) as $key ) {
			$order->delete_meta_data( $key );
		}
		$order->save();
	}

	/**
	 * Captures identity, consent and context from the customer's current request onto the
	 * order (replacing an earlier capture) and saves it. Does nothing in wp-admin.
	 *
	 * @param \WC_Order $order Order.
	 * @param string    $via   checkout | store_api | pay_for_order | order_received.
	 * @return bool Whether the request was captured.
	 */
	public function capture_from_request( \WC_Order $order, string $via ): bool {
		if ( is_admin() && ! wp_doing_ajax() ) {
			return false;
		}
		$consent  = $this->consent->current( 'purchase' );
		$identity = array_merge( $this->click_ids->read( $consent ), $this->hash_order( $order ) );
		$checkout = function_exists( 'wc_get_checkout_url' ) ? (string) wc_get_checkout_url() : '';
		$context  = $this->request->context( '' !== $checkout ? $checkout : null );

		$order->update_meta_data( self::META_IDENTITY, $identity );
		$order->update_meta_data( self::META_CONSENT, $consent );
		$order->update_meta_data( self::META_CONTEXT, $context );
		$order->update_meta_data(
			self::META_CAPTURE,
			array(
				'via' => $via,
				'at'  => time(),
			)
		);
		$order->save();
		return true;
	}

	/**
	 * Whether the order holds a capture from a customer's browser.
	 *
	 * @param \WC_Order $order Order.
	 * @return bool
	 */
	public function has_browser_capture( \WC_Order $order ): bool {
		$capture = $order->get_meta( self::META_CAPTURE );
		return is_array( $capture ) && isset( $capture['via'] );
	}

	/**
	 * The identity of a server event about this order: the captured ids, with the hashes of
	 * the order's current billing data (an edited address wins over the one at checkout).
	 *
	 * @param \WC_Order $order Order.
	 * @return array<string, string>
	 */
	public function identity( \WC_Order $order ): array {
		$stored = $order->get_meta( self::META_IDENTITY );
		$stored = is_array( $stored ) ? array_filter( $stored, 'is_string' ) : array();
		return array_merge( $stored, $this->hash_order( $order ) );
	}

	/**
	 * The consent snapshot captured with the order, or null when none was (the server's
	 * consent policy then decides when the event is recorded).
	 *
	 * @param \WC_Order $order Order.
	 * @return array<string, mixed>|null
	 */
	public function consent( \WC_Order $order ): ?array {
		$consent = $order->get_meta( self::META_CONSENT );
		return is_array( $consent ) && array() !== $consent ? $consent : null;
	}

	/**
	 * The request context captured with the order (empty when none).
	 *
	 * @param \WC_Order $order Order.
	 * @return array<string, mixed>
	 */
	public function context( \WC_Order $order ): array {
		$context = $order->get_meta( self::META_CONTEXT );
		return is_array( $context ) ? $context : array();
	}

	/**
	 * SHA-256 of the order's personal data, per docs/CONTRACT.md (with the email and phone
	 * variants). Billing first; shipping fills what billing lacks.
	 *
	 * @param \WC_Order $order Order.
	 * @return array<string, string>
	 */
	public function hash_order( \WC_Order $order ): array {
		$pick    = static fn( string $billing, string $shipping ): string => '' !== trim( $billing ) ? $billing : $shipping;
		$country = $pick( $order->get_billing_country(), $order->get_shipping_country() );
		$raw     = array(
			'em'      => $order->get_billing_email(),
			'ph'      => $pick( $order->get_billing_phone(), $order->get_shipping_phone() ),
			'fn'      => $pick( $order->get_billing_first_name(), $order->get_shipping_first_name() ),
			'ln'      => $pick( $order->get_billing_last_name(), $order->get_shipping_last_name() ),
			'ct'      => $pick( $order->get_billing_city(), $order->get_shipping_city() ),
			'st'      => $pick( $order->get_billing_state(), $order->get_shipping_state() ),
			'zp'      => $pick( $order->get_billing_postcode(), $order->get_shipping_postcode() ),
			'country' => $country,
		);
		return ( new Hasher( $this->calling_code( $country ) ) )->hash_identity( $raw );
	}

	/**
	 * Calling code for national phone numbers of an address: its country's, else the store's.
	 *
	 * @param string $country ISO 3166-1 alpha-2 country of the address.
	 * @return string Digits.
	 */
	private function calling_code( string $country ): string {
		if ( '' !== $country && function_exists( 'WC' ) && is_object( WC()->countries ) ) {
			$found = WC()->countries->get_country_calling_code( strtoupper( $country ) );
			$code  = (string) preg_replace( '/\D+/', '', is_array( $found ) ? (string) reset( $found ) : (string) $found );
			if ( '' !== $code ) {
				return $code;
			}
		}
		return $this->settings->default_calling_code();
	}
}
