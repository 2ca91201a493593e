<?php
/**
 * Stand-in for WooCommerce's cart, session, customer, countries, main class, AJAX handler and
 * the Store API cart routes. add_to_cart(), set_quantity(), remove_cart_item() and
 * restore_cart_item() fire the same hooks in the same order with the same arguments as
 * WooCommerce's WC_Cart; the Store API routes follow CartController (a line already in the cart
 * goes through set_quantity() only, without woocommerce_add_to_cart); WC_AJAX::add_to_cart()
 * answers with wp_send_json() like WooCommerce's.
 *
 * @package LayerSync\Tests
 */

// phpcs:disable Generic.Files.OneObjectStructurePerFile.MultipleFound, Squiz.Commenting.FunctionComment.Missing, Squiz.Commenting.VariableComment.Missing, Generic.Commenting.DocComment.MissingShort, Squiz.Commenting.ClassComment.Missing, WordPress.Security.NonceVerification, WordPress.NamingConventions.PrefixAllGlobals

/**
 * Session (in memory: one request).
 */
class WC_Session_Handler {
	/** @var array<string, mixed> */
	protected $data = array();

	public function init() {
	}

	public function get( $key, $default_value = null ) {
		return $this->data[ $key ] ?? $default_value;
	}

	public function set( $key, $value ) {
		$this->data[ $key ] = $value;
	}

	public function has_session() {
		return true;
	}

	public function set_session() {
	}
}

/**
 * Customer: the logged-in user's billing details from user meta (billing_email…).
 */
class WC_Customer extends WC_Data {
	public function __construct( $customer_id = 0, $is_session = false ) {
		$this->set_id( $customer_id );
		$this->set_object_read( true );
	}

	public function __call( $name, $args ) {
		if ( 1 === preg_match( '/^get_(billing|shipping)_([a-z_0-9]+)$/', $name, $m ) ) {
			return $this->get_id() ? (string) get_user_meta( $this->get_id(), $m[1] . '_' . $m[2], true ) : '';
		}
		throw new BadMethodCallException( "WC_Customer stand-in has no method $name()" );
	}

	public function save() {
		return $this->get_id();
	}
}

/**
 * Countries.
 */
class WC_Countries {
	public function get_base_country() {
		$default = (string) get_option( 'woocommerce_default_country', 'US:CA' );
		return strtoupper( explode( ':', $default )[0] );
	}

	public function get_country_calling_code( $cc ) {
		$codes = array(
			'US' => '+1',
			'CA' => '+1',
			'GB' => '+44',
			'DE' => '+49',
			'FR' => '+33',
			'NL' => '+31',
		);
		return $codes[ strtoupper( (string) $cc ) ] ?? '';
	}
}

/**
 * Cart.
 */
class WC_Cart {
	/** @var array<string, array<string, mixed>> */
	public $cart_contents = array();
	/** @var array<string, array<string, mixed>> */
	public $removed_cart_contents = array();
	/** @var string[] */
	public $applied_coupons = array();
	/** @var string */
	public $cart_context = 'cart';
	/** @var WC_Session_Handler */
	public $session;

	public function __construct() {
		$this->session = new WC_Session_Handler();
	}

	public function get_cart() {
		return array_filter( $this->cart_contents );
	}

	public function get_cart_contents() {
		return $this->cart_contents;
	}

	public function get_cart_item( $item_key ) {
		return $this->cart_contents[ $item_key ] ?? array();
	}

	public function is_empty() {
		return 0 === count( $this->get_cart() );
	}

	public function empty_cart( $clear_persistent_cart = true ) {
		$this->cart_contents         = array();
		$this->removed_cart_contents = array();
		$this->applied_coupons       = array();
	}

	public function get_applied_coupons() {
		return $this->applied_coupons;
	}

	public function get_cart_hash() {
		return md5( (string) wp_json_encode( array_map( static fn( $item ) => array( $item['key'], $item['quantity'] ), $this->cart_contents ) ) );
	}

	public function get_cart_contents_count() {
		return array_sum( wp_list_pluck( $this->cart_contents, 'quantity' ) );
	}

	public function generate_cart_id( $product_id, $variation_id = 0, $variation = array(), $cart_item_data = array() ) {
		return md5( implode( '_', array( $product_id, $variation_id, wp_json_encode( $variation ), wp_json_encode( $cart_item_data ) ) ) );
	}

	public function find_product_in_cart( $cart_id = false ) {
		return false !== $cart_id && isset( $this->cart_contents[ $cart_id ] ) ? $cart_id : '';
	}

	/**
	 * Line totals as WooCommerce's totals would give them (no taxes, no coupons here).
	 */
	public function calculate_totals() {
		do_action( 'woocommerce_before_calculate_totals', $this );
		foreach ( $this->cart_contents as $key => $item ) {
			$line = (float) wc_get_price_excluding_tax( $item['data'], array( 'qty' => $item['quantity'] ) );
			$this->cart_contents[ $key ]['line_subtotal'] = $line;
			$this->cart_contents[ $key ]['line_total']    = $line;
			$this->cart_contents[ $key ]['line_tax']      = 0;
		}
		do_action( 'woocommerce_after_calculate_totals', $this );
	}

	public function add_to_cart( $product_id = 0, $quantity = 1, $variation_id = 0, $variation = array(), $cart_item_data = array() ) {
		$product_id   = absint( $product_id );
		$variation_id = absint( $variation_id );
		$product_data = wc_get_product( $variation_id ? $variation_id : $product_id );
		if ( ! $product_data || $quantity <= 0 || ! $product_data->is_purchasable() ) {
			return false;
		}
		if ( $product_data->is_type( 'variation' ) ) {
			$variation_id = $product_data->get_id();
			$product_id   = $product_data->get_parent_id();
			$variation    = array() !== (array) $variation ? $variation : $product_data->get_variation_attributes();
		}
		$cart_item_data = (array) apply_filters( 'woocommerce_add_cart_item_data', $cart_item_data, $product_id, $variation_id, $quantity );
		$cart_id        = $this->generate_cart_id( $product_id, $variation_id, $variation, $cart_item_data );
		$cart_item_key  = $this->find_product_in_cart( $cart_id );
		if ( $cart_item_key ) {
			$new_quantity = $quantity + $this->cart_contents[ $cart_item_key ]['quantity'];
			$this->set_quantity( $cart_item_key, $new_quantity, false );
		} else {
			$cart_item_key                         = $cart_id;
			$this->cart_contents[ $cart_item_key ] = apply_filters(
				'woocommerce_add_cart_item',
				array_merge(
					$cart_item_data,
					array(
						'key'          => $cart_item_key,
						'product_id'   => $product_id,
						'variation_id' => $variation_id,
						'variation'    => $variation,
						'quantity'     => $quantity,
						'data'         => $product_data,
						'data_hash'    => '',
					)
				),
				$cart_item_key
			);
		}
		$this->cart_contents = apply_filters( 'woocommerce_cart_contents_changed', $this->cart_contents );
		do_action( 'woocommerce_add_to_cart', $cart_item_key, $product_id, $quantity, $variation_id, $variation, $cart_item_data );
		return $cart_item_key;
	}

	public function remove_cart_item( $cart_item_key ) {
		if ( isset( $this->cart_contents[ $cart_item_key ] ) ) {
			$this->removed_cart_contents[ $cart_item_key ] = $this->cart_contents[ $cart_item_key ];
			unset( $this->removed_cart_contents[ $cart_item_key ]['data'] );
			do_action( 'woocommerce_remove_cart_item', $cart_item_key, $this );
			unset( $this->cart_contents[ $cart_item_key ] );
			do_action( 'woocommerce_cart_item_removed', $cart_item_key, $this );
			return true;
		}
		return false;
	}

	public function restore_cart_item( $cart_item_key ) {
		if ( isset( $this->removed_cart_contents[ $cart_item_key ] ) ) {
			$restore_item                                  = $this->removed_cart_contents[ $cart_item_key ];
			$this->cart_contents[ $cart_item_key ]         = $restore_item;
			$this->cart_contents[ $cart_item_key ]['data'] = wc_get_product( $restore_item['variation_id'] ? $restore_item['variation_id'] : $restore_item['product_id'] );
			do_action( 'woocommerce_restore_cart_item', $cart_item_key, $this );
			unset( $this->removed_cart_contents[ $cart_item_key ] );
			do_action( 'woocommerce_cart_item_restored', $cart_item_key, $this );
			return true;
		}
		return false;
	}

	public function set_quantity( $cart_item_key, $quantity = 1, $refresh_totals = true ) {
		if ( 0 === $quantity || $quantity < 0 ) {
			return $this->remove_cart_item( $cart_item_key );
		}
		$old_quantity                                      = $this->cart_contents[ $cart_item_key ]['quantity'];
		$this->cart_contents[ $cart_item_key ]['quantity'] = $quantity;
		do_action( 'woocommerce_after_cart_item_quantity_update', $cart_item_key, $quantity, $old_quantity, $this );
		if ( $refresh_totals ) {
			$this->calculate_totals();
		}
		do_action( 'woocommerce_cart_item_set_quantity', $cart_item_key, $quantity, $this );
		return true;
	}
}

/**
 * Main class.
 */
final class WooCommerce {
	/** @var string */
	public $version = '9.4.0';
	/** @var WC_Cart|null */
	public $cart = null;
	/** @var WC_Session_Handler|null */
	public $session = null;
	/** @var WC_Customer|null */
	public $customer = null;
	/** @var WC_Countries */
	public $countries;
	/** @var WooCommerce|null */
	protected static $instance = null;

	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance            = new self();
			self::$instance->countries = new WC_Countries();
		}
		return self::$instance;
	}

	public function initialize_session() {
		if ( null === $this->session ) {
			$this->session = new WC_Session_Handler();
		}
	}

	public function initialize_cart() {
		if ( null === $this->customer ) {
			$this->customer = new WC_Customer( get_current_user_id(), true );
		}
		if ( null === $this->cart ) {
			$this->cart = new WC_Cart();
		}
	}
}

/**
 * AJAX handler (the ?wc-ajax= endpoints).
 */
class WC_AJAX {
	/**
	 * WC_AJAX::do_wc_ajax() (template_redirect, priority 0): runs the `wc_ajax_{action}` handler
	 * of a `?wc-ajax={action}` request, then dies.
	 */
	public static function do_wc_ajax() {
		$action = isset( $_GET['wc-ajax'] ) ? sanitize_text_field( wp_unslash( $_GET['wc-ajax'] ) ) : '';
		if ( '' === $action ) {
			return;
		}
		if ( ! defined( 'DOING_AJAX' ) ) {
			define( 'DOING_AJAX', true );
		}
		if ( ! defined( 'WC_DOING_AJAX' ) ) {
			define( 'WC_DOING_AJAX', true );
		}
		wc_load_cart();
		status_header( 200 );
		do_action( 'wc_ajax_' . $action );
		wp_die();
	}

	public static function add_to_cart() {
		ob_start();
		if ( ! isset( $_POST['product_id'] ) ) {
			return;
		}
		$product_id        = apply_filters( 'woocommerce_add_to_cart_product_id', absint( $_POST['product_id'] ) );
		$product           = wc_get_product( $product_id );
		$quantity          = empty( $_POST['quantity'] ) ? 1 : wc_stock_amount( wp_unslash( $_POST['quantity'] ) );
		$passed_validation = apply_filters( 'woocommerce_add_to_cart_validation', true, $product_id, $quantity );
		$product_status    = get_post_status( $product_id );
		$variation_id      = 0;
		$variation         = array();
		if ( $product && 'variation' === $product->get_type() ) {
			$variation_id = $product_id;
			$product_id   = $product->get_parent_id();
			$variation    = $product->get_variation_attributes();
		}
		if ( $passed_validation && false !== WC()->cart->add_to_cart( $product_id, $quantity, $variation_id, $variation ) && 'publish' === $product_status ) {
			do_action( 'woocommerce_ajax_added_to_cart', $product_id );
			self::get_refreshed_fragments();
		} else {
			wp_send_json(
				array(
					'error'       => true,
					'product_url' => '',
				)
			);
		}
	}

	public static function get_refreshed_fragments() {
		$data = array(
			'fragments' => apply_filters( 'woocommerce_add_to_cart_fragments', array( 'div.widget_shopping_cart_content' => '<div class="widget_shopping_cart_content"></div>' ) ),
			'cart_hash' => WC()->cart->get_cart_hash(),
		);
		wp_send_json( $data );
	}
}

/**
 * Store API cart routes used by the cart and checkout blocks: add-item, update-item,
 * remove-item, with the Store API's nonce check (header "Nonce", action wc_store_api).
 */
final class LayerSync_Stand_In_Store_Api {

	public static function register_routes(): void {
		foreach ( array( 'add-item', 'update-item', 'remove-item' ) as $route ) {
			register_rest_route(
				'wc/store/v1',
				'/cart/' . $route,
				array(
					'methods'             => 'POST',
					'callback'            => array( self::class, str_replace( '-', '_', $route ) ),
					'permission_callback' => array( self::class, 'check_nonce' ),
				)
			);
		}
	}

	public static function check_nonce( WP_REST_Request $request ) {
		if ( ! wp_verify_nonce( (string) $request->get_header( 'Nonce' ), 'wc_store_api' ) ) {
			return new WP_Error( 'woocommerce_rest_missing_nonce', 'Missing the Nonce header.', array( 'status' => 401 ) );
		}
		return true;
	}

	/**
	 * CartController::add_to_cart(): an existing line gets set_quantity() only.
	 */
	public static function add_item( WP_REST_Request $request ) {
		wc_load_cart();
		$cart               = WC()->cart;
		$cart->cart_context = 'store-api';
		$product            = wc_get_product( absint( $request['id'] ) );
		if ( ! $product ) {
			return new WP_Error( 'woocommerce_rest_cart_invalid_product', 'Invalid product', array( 'status' => 400 ) );
		}
		$quantity     = max( 1, (int) ( $request['quantity'] ?? 1 ) );
		$product_id   = $product->is_type( 'variation' ) ? $product->get_parent_id() : $product->get_id();
		$variation_id = $product->is_type( 'variation' ) ? $product->get_id() : 0;
		$variation    = $product->is_type( 'variation' ) ? $product->get_variation_attributes() : array();
		$cart_id      = $cart->generate_cart_id( $product_id, $variation_id, $variation, array() );
		$existing     = $cart->find_product_in_cart( $cart_id );
		if ( $existing ) {
			$cart->set_quantity( $existing, $quantity + $cart->cart_contents[ $existing ]['quantity'], true );
			return rest_ensure_response( self::cart_response() );
		}
		$cart->cart_contents[ $cart_id ] = apply_filters(
			'woocommerce_add_cart_item',
			array(
				'key'          => $cart_id,
				'product_id'   => $product_id,
				'variation_id' => $variation_id,
				'variation'    => $variation,
				'quantity'     => $quantity,
				'data'         => $product,
				'data_hash'    => '',
			),
			$cart_id
		);
		$cart->cart_contents             = apply_filters( 'woocommerce_cart_contents_changed', $cart->cart_contents );
		do_action( 'woocommerce_add_to_cart', $cart_id, $product_id, $quantity, $variation_id, $variation, array() );
		return rest_ensure_response( self::cart_response() );
	}

	public static function update_item( WP_REST_Request $request ) {
		wc_load_cart();
		WC()->cart->set_quantity( (string) $request['key'], (int) $request['quantity'] );
		return rest_ensure_response( self::cart_response() );
	}

	public static function remove_item( WP_REST_Request $request ) {
		wc_load_cart();
		WC()->cart->remove_cart_item( (string) $request['key'] );
		return rest_ensure_response( self::cart_response() );
	}

	private static function cart_response(): array {
		$items = array();
		foreach ( WC()->cart->get_cart() as $key => $item ) {
			$items[] = array(
				'key'      => $key,
				'id'       => $item['variation_id'] ? $item['variation_id'] : $item['product_id'],
				'quantity' => $item['quantity'],
			);
		}
		return array( 'items' => $items );
	}
}
