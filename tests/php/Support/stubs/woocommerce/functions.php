<?php
/**
 * Stand-in for WooCommerce's functions and conditional tags that LayerSync and its tests call,
 * with WooCommerce's signatures and behaviour (conditional tags read the same options and query
 * state as WooCommerce's: woocommerce_{cart,checkout,shop}_page_id, the order-received and
 * order-pay query vars).
 *
 * @package LayerSync\Tests
 */

// phpcs:disable Squiz.Commenting.FunctionComment.Missing, WordPress.NamingConventions.PrefixAllGlobals, Universal.Files.SeparateFunctionsFromOO.Mixed

namespace Automattic\WooCommerce\Utilities {

	/**
	 * Order storage in use.
	 */
	class OrderUtil {
		public static function custom_orders_table_usage_is_enabled(): bool {
			return \LayerSync_Stand_In_Order_Store::hpos();
		}
	}
}

namespace {

	function WC() { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName.FunctionNameInvalid -- WooCommerce's name.
		return WooCommerce::instance();
	}

	function wc_load_cart() {
		WC()->initialize_session();
		WC()->initialize_cart();
	}

	function wc_get_order( $the_order = false ) {
		$id = $the_order instanceof WC_Abstract_Order ? $the_order->get_id() : absint( $the_order );
		if ( $id <= 0 ) {
			return false;
		}
		$stored = LayerSync_Stand_In_Order_Store::read( $id );
		if ( null === $stored ) {
			return false;
		}
		return 'shop_order_refund' === $stored['type'] ? new WC_Order_Refund( $id ) : new WC_Order( $id );
	}

	function wc_get_orders( $args ) {
		$type   = $args['type'] ?? 'shop_order';
		$parent = isset( $args['parent'] ) ? (int) $args['parent'] : -1;
		$ids    = LayerSync_Stand_In_Order_Store::ids( $type, $parent );
		if ( isset( $args['limit'] ) && (int) $args['limit'] > 0 ) {
			$ids = array_slice( $ids, 0, (int) $args['limit'] );
		}
		if ( 'ids' === ( $args['return'] ?? '' ) ) {
			return $ids;
		}
		return array_values( array_filter( array_map( 'wc_get_order', $ids ) ) );
	}

	function wc_create_order( $args = array() ) {
		$order = new WC_Order();
		if ( isset( $args['customer_id'] ) ) {
			$order->set_customer_id( $args['customer_id'] );
		}
		$order->set_created_via( $args['created_via'] ?? '' );
		$order->set_currency( get_woocommerce_currency() );
		if ( isset( $args['status'] ) ) {
			$order->set_status( $args['status'] );
		}
		$order->save();
		return $order;
	}

	/**
	 * WooCommerce's wc_create_refund(), hook for hook.
	 */
	function wc_create_refund( $args = array() ) {
		$args = wp_parse_args(
			$args,
			array(
				'amount'         => 0,
				'reason'         => null,
				'order_id'       => 0,
				'refund_id'      => 0,
				'line_items'     => array(),
				'refund_payment' => false,
				'restock_items'  => false,
			)
		);
		try {
			$order = wc_get_order( $args['order_id'] );
			if ( ! $order ) {
				throw new Exception( 'Invalid order ID.' );
			}
			$remaining_refund_amount = $order->get_remaining_refund_amount();
			$remaining_refund_items  = $order->get_remaining_refund_items();
			$refund_item_count       = 0;
			$refund                  = new WC_Order_Refund( $args['refund_id'] );
			if ( 0 > $args['amount'] || $args['amount'] > $remaining_refund_amount ) {
				throw new Exception( 'Invalid refund amount.' );
			}
			$refund->set_currency( $order->get_currency() );
			$refund->set_amount( $args['amount'] );
			$refund->set_parent_id( absint( $args['order_id'] ) );
			$refund->set_refunded_by( get_current_user_id() ? get_current_user_id() : 1 );
			$refund->set_prices_include_tax( $order->get_prices_include_tax() );
			if ( ! is_null( $args['reason'] ) ) {
				$refund->set_reason( $args['reason'] );
			}
			if ( count( $args['line_items'] ) > 0 ) {
				$items = $order->get_items( array( 'line_item', 'fee', 'shipping' ) );
				foreach ( $items as $item_id => $item ) {
					if ( ! isset( $args['line_items'][ $item_id ] ) ) {
						continue;
					}
					$qty          = isset( $args['line_items'][ $item_id ]['qty'] ) ? $args['line_items'][ $item_id ]['qty'] : 0;
					$refund_total = $args['line_items'][ $item_id ]['refund_total'];
					$refund_tax   = isset( $args['line_items'][ $item_id ]['refund_tax'] ) ? array_filter( (array) $args['line_items'][ $item_id ]['refund_tax'] ) : array();
					if ( empty( $qty ) && empty( $refund_total ) && empty( $args['line_items'][ $item_id ]['refund_tax'] ) ) {
						continue;
					}
					$class         = get_class( $item );
					$refunded_item = new $class( $item );
					$refunded_item->set_id( 0 );
					$refunded_item->add_meta_data( '_refunded_item_id', $item_id, true );
					$refunded_item->set_total( wc_format_refund_total( $refund_total ) );
					$refunded_item->set_taxes(
						array(
							'total'    => array_map( 'wc_format_refund_total', $refund_tax ),
							'subtotal' => array_map( 'wc_format_refund_total', $refund_tax ),
						)
					);
					if ( is_callable( array( $refunded_item, 'set_subtotal' ) ) ) {
						$refunded_item->set_subtotal( wc_format_refund_total( $refund_total ) );
					}
					if ( is_callable( array( $refunded_item, 'set_quantity' ) ) ) {
						$refunded_item->set_quantity( $qty * -1 );
					}
					$refund->add_item( $refunded_item );
					$refund_item_count += $qty;
				}
			}
			$refund->update_taxes();
			$refund->calculate_totals( false );
			$refund->set_total( $args['amount'] * -1 );
			do_action( 'woocommerce_create_refund', $refund, $args );
			if ( $refund->save() ) {
				if ( (bool) apply_filters( 'woocommerce_order_is_partially_refunded', ( $remaining_refund_amount - $args['amount'] ) > 0 || ( $order->has_free_item() && ( $remaining_refund_items - $refund_item_count ) > 0 ), $order->get_id(), $refund->get_id() ) ) {
					do_action( 'woocommerce_order_partially_refunded', $order->get_id(), $refund->get_id() );
				} else {
					do_action( 'woocommerce_order_fully_refunded', $order->get_id(), $refund->get_id() );
					$parent_status = apply_filters( 'woocommerce_order_fully_refunded_status', 'refunded', $order->get_id(), $refund->get_id() );
					if ( $parent_status ) {
						$order->update_status( $parent_status );
					}
				}
			}
			$order->set_date_modified( time() );
			$order->save();
			do_action( 'woocommerce_refund_created', $refund->get_id(), $args );
			do_action( 'woocommerce_order_refunded', $order->get_id(), $refund->get_id() );
		} catch ( Exception $e ) {
			if ( isset( $refund ) && $refund instanceof WC_Order_Refund && $refund->get_id() ) {
				$refund->delete( true );
			}
			return new WP_Error( 'error', $e->getMessage() );
		}
		return $refund;
	}

	function wc_get_product( $the_product = false, $deprecated = array() ) {
		$id = $the_product instanceof WC_Product ? $the_product->get_id() : absint( $the_product );
		if ( $id <= 0 ) {
			return false;
		}
		$post = get_post( $id );
		if ( ! $post instanceof WP_Post || ! in_array( $post->post_type, array( 'product', 'product_variation' ), true ) ) {
			return false;
		}
		$type = (string) get_post_meta( $id, '_stand_in_type', true );
		if ( 'product_variation' === $post->post_type || 'variation' === $type ) {
			return new WC_Product_Variation( $id );
		}
		return 'variable' === $type ? new WC_Product_Variable( $id ) : new WC_Product_Simple( $id );
	}

	function wc_get_is_paid_statuses() {
		return apply_filters( 'woocommerce_order_is_paid_statuses', array( 'processing', 'completed' ) );
	}

	function get_woocommerce_currency() {
		return apply_filters( 'woocommerce_currency', (string) get_option( 'woocommerce_currency', 'USD' ) );
	}

	function wc_get_price_decimals() {
		return absint( apply_filters( 'wc_get_price_decimals', get_option( 'woocommerce_price_num_decimals', 2 ) ) );
	}

	/**
	 * Prices are entered without tax in the stand-in's store.
	 */
	function wc_get_price_excluding_tax( $product, $args = array() ) {
		$args  = wp_parse_args(
			$args,
			array(
				'qty'   => '',
				'price' => '',
			)
		);
		$price = '' !== $args['price'] ? max( 0.0, (float) $args['price'] ) : (float) $product->get_price();
		$qty   = '' !== $args['qty'] ? max( 0.0, (float) $args['qty'] ) : 1;
		return apply_filters( 'woocommerce_get_price_excluding_tax', '' === $product->get_price() ? '' : $price * $qty, $qty, $product );
	}

	function wc_get_formatted_variation( $variation, $flat = false, $include_names = true, $skip_attributes_in_name = false ) {
		$attributes = $variation instanceof WC_Product ? $variation->get_attributes() : (array) $variation;
		$parts      = array();
		foreach ( $attributes as $name => $value ) {
			$label   = ucfirst( str_replace( array( 'attribute_', 'pa_' ), '', (string) $name ) );
			$parts[] = $include_names ? $label . ': ' . $value : (string) $value;
		}
		return $flat ? implode( ', ', $parts ) : '<dl class="variation"><dd>' . implode( '</dd><dd>', $parts ) . '</dd></dl>';
	}

	function wc_format_decimal( $number, $dp = false, $trim_zeros = false ) {
		if ( is_string( $number ) && '' === $number ) {
			return '';
		}
		$number = (float) $number;
		if ( false !== $dp ) {
			$number = round( $number, (int) ( '' === $dp ? wc_get_price_decimals() : $dp ) );
		}
		return (string) $number;
	}

	function wc_format_refund_total( $amount ) {
		return (float) wc_format_decimal( $amount ) * -1;
	}

	function wc_format_coupon_code( $value ) {
		return strtolower( trim( (string) $value ) );
	}

	function wc_stock_amount( $amount ) {
		return (int) apply_filters( 'woocommerce_stock_amount', $amount );
	}

	function wc_get_page_id( $page ) {
		$page = apply_filters( 'woocommerce_get_' . $page . '_page_id', get_option( 'woocommerce_' . $page . '_page_id' ) );
		return $page ? absint( $page ) : -1;
	}

	function wc_get_page_permalink( $page ) {
		$id = wc_get_page_id( $page );
		return $id > 0 ? (string) get_permalink( $id ) : home_url( '/' );
	}

	function wc_get_checkout_url() {
		return apply_filters( 'woocommerce_get_checkout_url', wc_get_page_permalink( 'checkout' ) );
	}

	function wc_get_cart_url() {
		return apply_filters( 'woocommerce_get_cart_url', wc_get_page_permalink( 'cart' ) );
	}

	function wc_get_endpoint_url( $endpoint, $value = '', $permalink = '' ) {
		return add_query_arg( $endpoint, $value, $permalink ? $permalink : get_permalink() );
	}

	function is_woocommerce() {
		return is_shop() || is_product_taxonomy() || is_product();
	}

	function is_shop() {
		return is_post_type_archive( 'product' ) || is_page( wc_get_page_id( 'shop' ) );
	}

	function is_product_taxonomy() {
		return is_tax( array( 'product_cat', 'product_tag', 'product_brand' ) );
	}

	function is_product_category( $term = '' ) {
		return is_tax( 'product_cat', $term );
	}

	function is_product() {
		return is_singular( array( 'product' ) );
	}

	function is_cart() {
		$page_id = wc_get_page_id( 'cart' );
		return ( $page_id > 0 && is_page( $page_id ) ) || defined( 'WOOCOMMERCE_CART' );
	}

	function is_checkout() {
		$page_id = wc_get_page_id( 'checkout' );
		return ( $page_id > 0 && is_page( $page_id ) ) || apply_filters( 'woocommerce_is_checkout', false ) || defined( 'WOOCOMMERCE_CHECKOUT' );
	}

	function is_order_received_page() {
		global $wp;
		$page_id = wc_get_page_id( 'checkout' );
		return apply_filters( 'woocommerce_is_order_received_page', ( $page_id > 0 && is_page( $page_id ) && isset( $wp->query_vars['order-received'] ) ) );
	}

	function is_checkout_pay_page() {
		global $wp;
		return is_checkout() && ! empty( $wp->query_vars['order-pay'] );
	}
}
