<?php
/**
 * Accounts created in WooCommerce (checkout or My Account).
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

/**
 * `woocommerce_created_customer` ($customer_id, $new_customer_data, $password_generated) records
 * a `sign_up` with the new customer's email and name, hashed; `properties.method` is
 * "checkout" when the account was created while placing an order, else "account".
 *
 * Browser: the `layersync_events` cookie (the checkout answers with a redirect to the thank-you
 * page, where the tracker reads it). Without WooCommerce the hook never fires.
 *
 * @since 0.1.0
 */
final class WooCommerceSignUp {

	/**
	 * Records events.
	 *
	 * @var LeadRecorder
	 */
	private LeadRecorder $leads;

	/**
	 * Per-plugin settings (enabled or not).
	 *
	 * @var FormsSettings
	 */
	private FormsSettings $forms;

	/**
	 * Constructor.
	 *
	 * @param LeadRecorder  $leads Records events.
	 * @param FormsSettings $forms Settings.
	 */
	public function __construct( LeadRecorder $leads, FormsSettings $forms ) {
		$this->leads = $leads;
		$this->forms = $forms;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'woocommerce_created_customer', array( $this, 'on_created_customer' ), 10, 3 );
	}

	/**
	 * `woocommerce_created_customer`: records the sign-up.
	 *
	 * @param mixed $customer_id        New user id.
	 * @param mixed $new_customer_data  Data given to wp_insert_user() (user_email, first_name, last_name).
	 * @param mixed $password_generated Whether WooCommerce generated the password.
	 */
	public function on_created_customer( $customer_id, $new_customer_data = array(), $password_generated = false ): void {
		if ( ! is_numeric( $customer_id ) || ! is_array( $new_customer_data ) || ! $this->forms->for_plugin( FormsSettings::WOOCOMMERCE )['enabled'] ) {
			return;
		}
		$raw = array();
		foreach ( array(
			'user_email' => 'em',
			'first_name' => 'fn',
			'last_name'  => 'ln',
		) as $field => $key ) {
			if ( isset( $new_customer_data[ $field ] ) && is_string( $new_customer_data[ $field ] ) && '' !== trim( $new_customer_data[ $field ] ) ) {
				$raw[ $key ] = $new_customer_data[ $field ];
			}
		}
		$at_checkout = ( function_exists( 'is_checkout' ) && is_checkout() ) || defined( 'WOOCOMMERCE_CHECKOUT' ) || self::is_store_api_checkout();
		$this->leads->record(
			'sign_up',
			$raw,
			array( 'method' => $at_checkout ? 'checkout' : 'account' ),
			FormsSettings::WOOCOMMERCE . ':sign_up'
		);
	}

	/**
	 * Whether this is a block checkout request (Store API), where is_checkout() is false.
	 *
	 * @return bool
	 */
	private static function is_store_api_checkout(): bool {
		$uri = isset( $_SERVER['REQUEST_URI'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REQUEST_URI'] ) ) : '';
		return str_contains( $uri, 'wc/store' ) && str_contains( $uri, 'checkout' );
	}
}
