<?php
/**
 * WooCommerce settings through the admin settings route.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use PHPUnit\Framework\Attributes\DataProvider;

final class CommerceSettingsTest extends IntegrationTestCase {

	private const CONNECTION = array(
		'relay_url' => 'https://relay.example.com',
		'site_id'   => 'shop-1',
		'secret'    => 'relay-secret-5f2b9c0e4d7a41c8b3e6f0a9d2c5b8e1cdef',
	);

	/**
	 * Users created for the test.
	 *
	 * @var int[]
	 */
	private array $users = array();

	protected function tearDown(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( $this->users as $user_id ) {
			wp_delete_user( $user_id );
		}
		parent::tearDown();
	}

	public function test_defaults_track_every_event_and_send_offline_purchases_when_paid(): void {
		foreach ( Settings::option_names() as $option ) {
			delete_option( $option );
		}
		Settings::add_defaults();
		$settings = new CommerceSettings();

		$this->assertSame( CommerceSettings::EVENTS, $settings->enabled_events() );
		$this->assertSame(
			array(
				'bacs'   => 'paid',
				'cheque' => 'paid',
				'cod'    => 'paid',
			),
			$settings->purchase_timing()
		);
		$this->assertSame( 'paid', $settings->timing_for( 'stripe' ), 'online gateways are always "when paid"' );
		$this->assertContains( CommerceSettings::OPTION_EVENTS, Settings::option_names(), 'uninstall removes it' );
		$this->assertContains( CommerceSettings::OPTION_TIMING, Settings::option_names() );
	}

	public function test_admin_saves_tracked_events_and_purchase_timing(): void {
		wp_set_current_user( $this->user( 'administrator' ) );

		$response = $this->rest(
			'POST',
			'/layersync/v1/admin/settings',
			self::CONNECTION + array(
				'commerce_events' => array( 'refund', 'purchase', 'add_to_cart' ),
				'purchase_timing' => array( 'cod' => 'placed' ),
			)
		);

		$this->assertSame( 200, $response->get_status(), (string) wp_json_encode( $response->get_data() ) );
		$data = $response->get_data();
		$this->assertSame( array( 'add_to_cart', 'purchase', 'refund' ), $data['commerce_events'], 'funnel order' );
		$this->assertSame(
			array(
				'bacs'   => 'paid',
				'cheque' => 'paid',
				'cod'    => 'placed',
			),
			$data['purchase_timing'],
			'gateways left out keep their timing'
		);
		$this->assertSame( $data, $this->rest( 'GET', '/layersync/v1/admin/settings' )->get_data() );
		$this->assertSame( 'placed', ( new CommerceSettings() )->timing_for( 'cod' ) );
		$this->assertFalse( ( new CommerceSettings() )->is_enabled( 'view_item' ) );

		// Saving the connection alone keeps them.
		$this->rest( 'POST', '/layersync/v1/admin/settings', self::CONNECTION );
		$this->assertSame( array( 'add_to_cart', 'purchase', 'refund' ), ( new CommerceSettings() )->enabled_events() );
	}

	/**
	 * Invalid values are refused with 400 and nothing is saved.
	 *
	 * @param array<string, mixed> $body  Fields.
	 * @param string               $field Field named in the answer.
	 */
	#[DataProvider( 'invalid_values' )]
	public function test_invalid_values_are_refused_and_nothing_is_saved( array $body, string $field ): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		update_option( Settings::OPTION_SITE_ID, 'before' );

		$response = $this->rest( 'POST', '/layersync/v1/admin/settings', array_merge( self::CONNECTION, $body ) );

		$this->assertSame( 400, $response->get_status() );
		$this->assertStringContainsString( $field, (string) wp_json_encode( $response->get_data() ) );
		$this->assertSame( 'before', get_option( Settings::OPTION_SITE_ID ), 'nothing was saved' );
		$this->assertSame( CommerceSettings::EVENTS, ( new CommerceSettings() )->enabled_events() );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{array<string, mixed>, string}>
	 */
	public static function invalid_values(): array {
		return array(
			'unknown event'         => array( array( 'commerce_events' => array( 'purchase', 'checkout_started' ) ), 'commerce_events' ),
			'events not a list'     => array( array( 'commerce_events' => array( 'a' => 'purchase' ) ), 'commerce_events' ),
			'events repeated'       => array( array( 'commerce_events' => array( 'purchase', 'purchase' ) ), 'commerce_events' ),
			'timing not an object'  => array( array( 'purchase_timing' => 'placed' ), 'purchase_timing' ),
			'online gateway timing' => array( array( 'purchase_timing' => array( 'stripe' => 'placed' ) ), 'purchase_timing' ),
			'unknown timing'        => array( array( 'purchase_timing' => array( 'bacs' => 'shipped' ) ), 'purchase_timing' ),
		);
	}

	public function test_only_administrators_change_them(): void {
		wp_set_current_user( $this->user( null !== get_role( 'shop_manager' ) ? 'shop_manager' : 'editor' ) );

		$response = $this->rest( 'POST', '/layersync/v1/admin/settings', self::CONNECTION + array( 'commerce_events' => array() ) );

		$this->assertSame( 403, $response->get_status() );
		$this->assertSame( CommerceSettings::EVENTS, ( new CommerceSettings() )->enabled_events() );
	}

	public function test_validation_outside_rest(): void {
		$this->assertSame( array( 'view_item', 'purchase' ), CommerceSettings::validate_events( array( 'purchase', 'view_item' ) ) );
		$this->assertSame( array(), CommerceSettings::validate_events( array() ), 'all events off is allowed' );
		$this->assertInstanceOf( \WP_Error::class, CommerceSettings::validate_events( array( 'lead' ) ) );
		$this->add_test_filter( 'layersync_offline_gateways', static fn( $gateways ) => array_merge( $gateways, array( 'invoice' ) ) );
		$timing = ( new CommerceSettings() )->validate_purchase_timing( array( 'invoice' => 'placed' ) );
		$this->assertIsArray( $timing );
		$this->assertSame( 'placed', $timing['invoice'], 'a custom offline gateway can be configured' );
	}

	/**
	 * A user with a role.
	 *
	 * @param string $role Role.
	 * @return int
	 */
	private function user( string $role ): int {
		$id = wp_insert_user(
			array(
				'user_login' => 'commerce-' . $role . '-' . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'role'       => $role,
			)
		);
		$this->assertIsInt( $id );
		$this->users[] = $id;
		return $id;
	}
}
