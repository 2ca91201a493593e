<?php
/**
 * Bootstrap behaviour of plugin/layersync.php and LayerSync\Plugin.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration;

use LayerSync\Internal\Settings;
use LayerSync\Plugin;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunInSeparateProcess;

final class PluginTest extends IntegrationTestCase {

	public function test_the_plugin_is_booted_once_with_its_hooks(): void {
		$this->assertSame( Plugin::instance(), Plugin::boot() );
		$this->assertNotFalse( has_action( 'rest_api_init' ) );
		$this->assertNotFalse( has_action( 'layersync_drain' ) );
		$this->assertNotFalse( has_action( 'layersync_drain_recurring' ) );
		$this->assertNotFalse( has_action( 'before_woocommerce_init' ) );
	}

	public function test_an_unsupported_wordpress_gets_a_notice_instead_of_a_fatal_error(): void {
		global $wp_version;
		$real       = $wp_version;
		$wp_version = '6.4.3'; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- simulating an old core, restored below.
		try {
			$errors = layersync_requirement_errors();
		} finally {
			$wp_version = $real; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		}
		$this->assertSame( array( 'LayerSync needs WordPress 6.5 or newer; this site runs WordPress 6.4.3.' ), $errors );
		$this->assertSame( array(), layersync_requirement_errors() );
	}

	public function test_activation_creates_options_with_the_secret_not_autoloaded(): void {
		global $wpdb;
		foreach ( Settings::option_names() as $option ) {
			delete_option( $option );
		}
		Plugin::activate();
		$rows = $wpdb->get_results(
			$wpdb->prepare( "SELECT option_name, autoload FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( 'layersync_' ) . '%' ),
			OBJECT_K
		);
		foreach ( Settings::option_names() as $option ) {
			$this->assertArrayHasKey( $option, $rows );
		}
		$this->assertContains( $rows[ Settings::OPTION_SECRET ]->autoload, array( 'no', 'off' ) );
		$this->assertContains( $rows[ Settings::OPTION_RELAY_URL ]->autoload, array( 'yes', 'on' ) );
		$this->assertSame( '', get_option( Settings::OPTION_SECRET ) );
		$this->assertSame( '', ( new Settings() )->secret_hint() );
	}

	public function test_secret_hint_shows_only_the_last_four_characters(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_SECRET, static fn() => 'abcdefghijklmnopqrstuvwxyz0123456789' );
		$this->assertSame( '••••6789', ( new Settings() )->secret_hint() );
	}

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_hpos_and_cart_checkout_blocks_compatibility_is_declared(): void {
		// WooCommerce is not installable here: a stand-in FeaturesUtil records the declarations.
		require dirname( __DIR__ ) . '/Support/stubs/woocommerce-features-util.php';
		do_action( 'before_woocommerce_init' );
		$this->assertSame(
			array(
				array( 'custom_order_tables', LAYERSYNC_FILE, true ),
				array( 'cart_checkout_blocks', LAYERSYNC_FILE, true ),
			),
			$GLOBALS['layersync_test_wc_declared'] ?? null
		);
		$this->assertStringEndsWith( '/plugin/layersync.php', LAYERSYNC_FILE );
	}
}
