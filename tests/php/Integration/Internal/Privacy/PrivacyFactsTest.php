<?php
/**
 * What the Privacy screen shows from the server: the consent source detected and the outbox
 * retention; and the fixed WooCommerce fields of the lead-forms route.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Privacy;

use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Outbox\Priority;
use LayerSync\Internal\Privacy\ConsentSource;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\CreatesUsers;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunInSeparateProcess;

final class PrivacyFactsTest extends IntegrationTestCase {

	use CreatesUsers;

	protected function tearDown(): void {
		$this->delete_users();
		parent::tearDown();
	}

	public function test_without_a_consent_manager_the_source_is_none(): void {
		$this->assertSame(
			array(
				'id'             => 'none',
				'label'          => '',
				'detected'       => array(),
				'wp_consent_api' => false,
			),
			( new ConsentSource() )->detect()
		);
	}

	public function test_an_active_consent_plugin_is_detected_by_its_plugin_file(): void {
		$this->add_test_filter( 'pre_option_active_plugins', static fn() => array( 'layersync/layersync.php', 'cookiebot/cookiebot.php', 'cookie-law-info/cookie-law-info.php' ) );
		$source = ( new ConsentSource() )->detect();
		$this->assertSame( 'cookiebot', $source['id'] );
		$this->assertSame( 'Cookiebot', $source['label'] );
		$this->assertSame( array( 'cookiebot', 'cookieyes' ), array_column( $source['detected'], 'id' ) );
		$this->assertFalse( $source['wp_consent_api'] );
	}

	public function test_a_consent_manager_loaded_by_a_tag_manager_can_be_declared(): void {
		$this->add_test_filter(
			'layersync_consent_sources',
			static fn( array $detected ) => array_merge(
				array(
					array(
						'id'    => 'onetrust',
						'label' => 'OneTrust',
					),
					array( 'id' => 'broken' ),
					'nonsense',
					array(
						'id'    => 'onetrust',
						'label' => 'Again',
					),
				),
				$detected
			)
		);
		$source = ( new ConsentSource() )->detect();
		$this->assertSame( 'onetrust', $source['id'] );
		$this->assertSame(
			array(
				array(
					'id'    => 'onetrust',
					'label' => 'OneTrust',
				),
			),
			$source['detected'],
			'malformed and repeated entries are dropped'
		);
	}

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_the_admin_routes_report_the_consent_manager_and_the_wp_consent_api(): void {
		// Complianz defines this constant when it loads; the stand-in provides wp_has_consent().
		define( 'cmplz_version', '7.1.0' ); // phpcs:ignore Generic.NamingConventions.UpperCaseConstantName.ConstantNotUpperCase -- Complianz's own constant.
		require dirname( __DIR__, 3 ) . '/Support/standins/wp-consent-api.php';
		wp_set_current_user( $this->user( 'administrator' ) );

		$expected = array(
			'id'             => 'complianz',
			'label'          => 'Complianz',
			'detected'       => array(
				array(
					'id'    => 'complianz',
					'label' => 'Complianz',
				),
				array(
					'id'    => 'wp_consent_api',
					'label' => 'WP Consent API',
				),
			),
			'wp_consent_api' => true,
		);
		$this->assertSame( $expected, $this->rest( 'GET', '/layersync/v1/admin/settings' )->get_data()['consent_source'] );
		$this->assertSame( $expected, $this->rest( 'GET', '/layersync/v1/admin/status' )->get_data()['consent_source'] );
	}

	public function test_settings_report_the_outbox_retention_the_plugin_applies(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_OUTBOX_MAX_ROWS, static fn() => '1000' );

		$retention = $this->rest( 'GET', '/layersync/v1/admin/settings' )->get_data()['retention']['outbox'];

		$this->assertSame( 1000, $retention['max_rows'] );
		$this->assertSame( Drainer::SENT_RETENTION_SECONDS, $retention['delivered_seconds'] );
		$this->assertSame( Drainer::FAILED_RETENTION_SECONDS, $retention['failed_seconds'] );
		$this->assertSame( array( 30 * 86400, 7 * 86400, 86400 ), array_column( $retention['tiers'], 'seconds' ), 'longest first' );
		$this->assertSame(
			array(
				'seconds'   => 30 * 86400,
				'events'    => array( 'purchase', 'refund' ),
				'custom'    => false,
				'evictable' => false,
			),
			$retention['tiers'][0]
		);
		// Each event is listed under the retention the outbox really gives it, custom events too.
		foreach ( $retention['tiers'] as $tier ) {
			foreach ( $tier['events'] as $name ) {
				$this->assertSame( Priority::retention_for_event( $name ), $tier['seconds'], $name );
			}
			$this->assertSame( Priority::retention_for_event( 'custom:quote_requested' ) === $tier['seconds'], $tier['custom'] );
		}
		$this->assertContains( 'page_view', $retention['tiers'][2]['events'] );
	}

	public function test_forms_route_lists_the_fixed_woocommerce_fields(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$data = $this->rest( 'GET', '/layersync/v1/admin/forms' )->get_data();
		$this->assertSame( array( 'woocommerce' ), array_keys( $data['fixed_fields'] ) );
		$this->assertSame( array( 'em', 'fn', 'ln' ), $data['fixed_fields']['woocommerce']['sign_up'] );
		$this->assertSame( array( 'em', 'ph', 'fn', 'ln', 'ct', 'st', 'zp', 'country' ), $data['fixed_fields']['woocommerce']['checkout'] );
		foreach ( $data['fixed_fields']['woocommerce'] as $keys ) {
			$this->assertSame( array(), array_diff( $keys, $data['targets'] ), 'the app labels them like rule targets' );
		}
	}
}
