<?php
/**
 * Admin REST route for lead-form settings.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Rest;

use LayerSync\Internal\Forms\FormsSettings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\CreatesUsers;

final class FormsControllerTest extends IntegrationTestCase {

	use CreatesUsers;

	private const ROUTE = '/layersync/v1/admin/forms';

	protected function setUp(): void {
		parent::setUp();
		delete_option( FormsSettings::OPTION );
	}

	protected function tearDown(): void {
		delete_option( FormsSettings::OPTION );
		$this->delete_users();
		parent::tearDown();
	}

	public function test_wrong_users_are_refused(): void {
		$body = array( 'cf7' => array( 'enabled' => false ) );
		foreach ( array( array( 'GET', null ), array( 'POST', $body ) ) as list( $method, $json ) ) {
			wp_set_current_user( 0 );
			$this->assertSame( 401, $this->rest( $method, self::ROUTE, $json )->get_status() );
			wp_set_current_user( $this->user( 'editor' ) );
			$this->assertSame( 403, $this->rest( $method, self::ROUTE, $json )->get_status() );
		}
		$this->assertFalse( get_option( FormsSettings::OPTION ), 'nothing was saved' );
	}

	public function test_defaults_detect_fields_in_every_plugin(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$data = $this->rest( 'GET', self::ROUTE )->get_data();
		$this->assertSame( array( 'cf7', 'wpforms', 'ninja_forms', 'formidable', 'woocommerce' ), array_keys( $data['plugins'] ) );
		$this->assertSame(
			array(
				'name'    => 'Contact Form 7',
				'active'  => false,
				'enabled' => true,
				'auto'    => true,
				'fields'  => array(),
				'exclude' => array(),
			),
			$data['plugins']['cf7']
		);
		$this->assertContains( 'ignore', $data['targets'] );
	}

	public function test_saves_rules_and_refuses_unknown_targets_with_a_clear_message(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$saved = $this->rest(
			'POST',
			self::ROUTE,
			array(
				'wpforms' => array(
					'auto'    => false,
					'fields'  => array(
						'Work email' => 'em',
						'type:tel'   => 'ph',
						'Notes'      => 'ignore',
					),
					'exclude' => array( 12, '13' ),
				),
			)
		);
		$this->assertSame( 200, $saved->get_status() );
		$this->assertSame(
			array(
				'enabled' => true,
				'auto'    => false,
				'fields'  => array(
					'Work email' => 'em',
					'type:tel'   => 'ph',
					'Notes'      => 'ignore',
				),
				'exclude' => array( '12', '13' ),
			),
			( new FormsSettings() )->for_plugin( 'wpforms' )
		);
		$this->assertTrue( ( new FormsSettings() )->for_plugin( 'cf7' )['auto'], 'other plugins keep their settings' );

		$bad = $this->rest( 'POST', self::ROUTE, array( 'cf7' => array( 'fields' => array( 'your-email' => 'email' ) ) ) );
		$this->assertSame( 400, $bad->get_status() );
		$this->assertStringContainsString( 'is not one of em, ph, fn', (string) wp_json_encode( $bad->get_data() ) );
		$unknown = $this->rest( 'POST', self::ROUTE, array( 'gravity' => array( 'enabled' => true ) ) );
		$this->assertSame( 200, $unknown->get_status(), 'unknown top-level keys are ignored by the REST schema' );
		$this->assertArrayNotHasKey( 'gravity', $unknown->get_data()['plugins'] );
	}
}
