<?php
/**
 * Loads the WooCommerce stand-in unless a real WooCommerce is active.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Support\Commerce;

/**
 * WooCommerce cannot be installed here, so the commerce tests run against a stand-in
 * (tests/php/Support/stubs/woocommerce/) that implements the methods LayerSync calls and fires
 * WooCommerce's hooks with WooCommerce's arguments. When the harness has a real WooCommerce
 * (LAYERSYNC_WOOCOMMERCE_DIR, see scripts/harness.sh) it is already loaded and the stand-in is
 * skipped: the same tests then run against the real one, through the same public API.
 */
final class WooCommerceStandIn {

	/**
	 * Loads the stand-in (in this process) when no WooCommerce is loaded yet.
	 *
	 * @param bool $hpos Store stand-in orders like HPOS (own tables) instead of posts.
	 */
	public static function load( bool $hpos = false ): void {
		if ( class_exists( 'WooCommerce', false ) ) {
			return;
		}
		$GLOBALS['layersync_wc_stand_in_hpos'] = $hpos;
		require dirname( __DIR__ ) . '/stubs/woocommerce/bootstrap.php';
	}

	/**
	 * Deletes the stand-in's products, coupons, orders and refunds left by earlier tests (the
	 * harness database is shared by every test process). Nothing happens with a real WooCommerce.
	 */
	public static function reset(): void {
		global $wpdb;
		if ( ! self::is_stand_in() ) {
			return;
		}
		$types = array( 'product', 'product_variation', 'shop_coupon', 'shop_order', 'shop_order_refund' );
		$ids   = $wpdb->get_col( $wpdb->prepare( 'SELECT ID FROM %i WHERE post_type IN (%s, %s, %s, %s, %s)', $wpdb->posts, ...$types ) );
		foreach ( is_array( $ids ) ? $ids : array() as $id ) {
			wp_delete_post( (int) $id, true );
		}
		$wpdb->query( $wpdb->prepare( 'DELETE FROM %i', $wpdb->prefix . 'layersync_standin_orders' ) );
		$wpdb->query( $wpdb->prepare( 'DELETE FROM %i', $wpdb->prefix . 'layersync_standin_orders_meta' ) );
	}

	/**
	 * Lets the harness web server load the stand-in for requests carrying the header
	 * `X-LayerSync-Stand-In: posts|hpos` (a must-use plugin in the harness WordPress, loaded at
	 * plugins_loaded like WooCommerce itself; other requests are untouched). Does nothing when a
	 * real WooCommerce is active: it serves those requests itself.
	 */
	public static function install_for_http(): void {
		if ( ! self::is_stand_in() ) {
			return;
		}
		$dir = WP_CONTENT_DIR . '/mu-plugins';
		if ( ! is_dir( $dir ) ) {
			mkdir( $dir, 0777, true );
		}
		$bootstrap = var_export( dirname( __DIR__ ) . '/stubs/woocommerce/bootstrap.php', true ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_var_export -- writes PHP source.
		file_put_contents(
			self::mu_plugin(),
			"<?php\n// Written by the LayerSync test suite (WooCommerceStandIn::install_for_http()); removed after the test.\n"
			. "if ( isset( \$_SERVER['HTTP_X_LAYERSYNC_STAND_IN'] ) && ! class_exists( 'WooCommerce', false ) ) {\n"
			. "\t\$GLOBALS['layersync_wc_stand_in_hpos'] = 'hpos' === \$_SERVER['HTTP_X_LAYERSYNC_STAND_IN'];\n"
			. "\tadd_action( 'plugins_loaded', static function () { require $bootstrap; }, 0 );\n"
			. "}\n"
		);
	}

	/**
	 * Removes what install_for_http() wrote.
	 */
	public static function uninstall_for_http(): void {
		if ( is_file( self::mu_plugin() ) ) {
			unlink( self::mu_plugin() );
		}
	}

	/**
	 * Path of the must-use plugin.
	 *
	 * @return string
	 */
	private static function mu_plugin(): string {
		return WP_CONTENT_DIR . '/mu-plugins/layersync-tests-wc-stand-in.php';
	}

	/**
	 * Whether the loaded WooCommerce is the stand-in.
	 *
	 * @return bool
	 */
	public static function is_stand_in(): bool {
		return class_exists( 'LayerSync_Stand_In_Order_Store', false );
	}

	/**
	 * Whether orders are in custom tables (HPOS), real or stand-in.
	 *
	 * @return bool
	 */
	public static function uses_hpos(): bool {
		$util = 'Automattic\\WooCommerce\\Utilities\\OrderUtil';
		return class_exists( $util ) && (bool) call_user_func( array( $util, 'custom_orders_table_usage_is_enabled' ) );
	}

	/**
	 * Every `_layersync_…` order meta row in the database, whichever storage holds it: the
	 * stand-in's HPOS-like table, WooCommerce's HPOS table (wc_orders_meta), post meta.
	 *
	 * @return array<int, array{order_id: int, meta_key: string, meta_value: string, storage: string}>
	 */
	public static function layersync_order_meta(): array {
		global $wpdb;
		$like = $wpdb->esc_like( '_layersync_' ) . '%';
		$rows = array();
		foreach ( array(
			'posts'    => array( $wpdb->postmeta, 'post_id' ),
			'stand-in' => array( $wpdb->prefix . 'layersync_standin_orders_meta', 'order_id' ),
			'hpos'     => array( $wpdb->prefix . 'wc_orders_meta', 'order_id' ),
		) as $storage => list( $table, $column ) ) {
			if ( $table !== $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ) ) {
				continue;
			}
			$found = $wpdb->get_results(
				$wpdb->prepare( 'SELECT %i AS order_id, meta_key, meta_value FROM %i WHERE meta_key LIKE %s', $column, $table, $like ),
				ARRAY_A
			);
			foreach ( is_array( $found ) ? $found : array() as $row ) {
				$rows[] = array(
					'order_id'   => (int) $row['order_id'],
					'meta_key'   => (string) $row['meta_key'],
					'meta_value' => (string) $row['meta_value'],
					'storage'    => $storage,
				);
			}
		}
		return $rows;
	}
}
