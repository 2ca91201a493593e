<?php
/**
 * Admin REST routes.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Rest;

use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use PHPUnit\Framework\Attributes\DataProvider;

final class SettingsControllerTest extends IntegrationTestCase {

	private const SECRET = 'relay-secret-5f2b9c0e4d7a41c8b3e6f0a9d2c5b8e1cdef';

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
		$this->users = array();
		parent::tearDown();
	}

	/**
	 * Every admin route refuses anonymous visitors (401) and non-admins (403).
	 *
	 * @param string $method Method.
	 * @param string $route  Route.
	 */
	#[DataProvider( 'admin_routes' )]
	public function test_admin_routes_refuse_anonymous_and_subscribers( string $method, string $route ): void {
		$body = 'POST' === $method ? array(
			'relay_url' => 'https://relay.example.com',
			'site_id'   => 'intruder',
			'secret'    => self::SECRET,
		) : null;

		$anonymous = $this->rest( $method, $route, $body );
		$this->assertSame( 401, $anonymous->get_status() );
		$this->assertSame( 'rest_forbidden', $anonymous->get_data()['code'] );

		wp_set_current_user( $this->user( 'subscriber' ) );
		$subscriber = $this->rest( $method, $route, $body );
		$this->assertSame( 403, $subscriber->get_status() );
		$this->assertSame( 'rest_forbidden', $subscriber->get_data()['code'] );

		wp_set_current_user( $this->user( 'editor' ) );
		$this->assertSame( 403, $this->rest( $method, $route, $body )->get_status() );

		$this->assertNotSame( 'intruder', get_option( Settings::OPTION_SITE_ID ), 'nothing was saved' );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{string, string}>
	 */
	public static function admin_routes(): array {
		return array(
			'read settings'   => array( 'GET', '/layersync/v1/admin/settings' ),
			'save settings'   => array( 'POST', '/layersync/v1/admin/settings' ),
			'test connection' => array( 'POST', '/layersync/v1/admin/test-connection' ),
			'status'          => array( 'GET', '/layersync/v1/admin/status' ),
		);
	}

	public function test_admin_saves_settings_and_the_secret_is_never_returned_nor_autoloaded(): void {
		global $wpdb;
		wp_set_current_user( $this->user( 'administrator' ) );

		$response = $this->rest(
			'POST',
			'/layersync/v1/admin/settings',
			array(
				'relay_url'       => 'https://relay.example.com/',
				'site_id'         => 'shop-1',
				'secret'          => self::SECRET,
				'anonymize_ip'    => true,
				'consent_default' => 'denied',
			)
		);

		$this->assertSame( 200, $response->get_status() );
		$expected = array(
			'relay_url'       => 'https://relay.example.com',
			'site_id'         => 'shop-1',
			'secret_set'      => true,
			'secret_hint'     => '••••cdef',
			'anonymize_ip'    => true,
			'consent_default' => 'denied',
			// Privacy switches and limits, at their defaults (SettingsPrivacyTest covers them).
			'require_consent' => false,
			'do_not_sell'     => false,
			'ldu'             => false,
			'ldu_region'      => '',
			'rate_limit'      => 240,
			'rate_window'     => 60,
			'outbox_max_rows' => 50000,
		);
		// WooCommerce settings, at their defaults (Commerce\CommerceSettingsTest covers them).
		$expected += \LayerSync\Internal\Commerce\CommerceSettings::defaults_for_admin();
		// Tracked site events at their default, and read-only facts (TrackedEventsTest and
		// PrivacyFactsTest cover them).
		$expected += array(
			'site_events'        => array( 'page_view', 'lead' ),
			'trackable_events'   => array(
				'site'     => array( 'page_view', 'lead' ),
				'commerce' => array( 'view_item', 'view_item_list', 'add_to_cart', 'remove_from_cart', 'view_cart', 'begin_checkout', 'add_shipping_info', 'add_payment_info', 'purchase', 'refund' ),
			),
			'woocommerce_active' => false,
		);
		$facts     = array_flip( array( 'consent_source', 'retention' ) );
		$this->assertSame( $expected, array_diff_key( $response->get_data(), $facts ) );
		$this->assertSame( $expected, array_diff_key( $this->rest( 'GET', '/layersync/v1/admin/settings' )->get_data(), $facts ) );
		$this->assertSame( array_keys( $facts ), array_keys( array_intersect_key( $response->get_data(), $facts ) ) );
		$this->assertStringNotContainsString( substr( self::SECRET, 0, 12 ), (string) wp_json_encode( $response->get_data() ) );

		$this->assertSame( self::SECRET, get_option( Settings::OPTION_SECRET ) );
		$autoload = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT autoload FROM {$wpdb->options} WHERE option_name IN (%s, %s, %s) ORDER BY FIELD(option_name, %s, %s, %s)",
				Settings::OPTION_SECRET,
				Settings::OPTION_RELAY_URL,
				Settings::OPTION_SITE_ID,
				Settings::OPTION_SECRET,
				Settings::OPTION_RELAY_URL,
				Settings::OPTION_SITE_ID
			)
		);
		$this->assertContains( $autoload[0], array( 'no', 'off' ), 'the secret is not autoloaded' );
		$this->assertContains( $autoload[1], array( 'yes', 'on', 'auto-on' ) );
		$this->assertContains( $autoload[2], array( 'yes', 'on', 'auto-on' ) );
		wp_cache_delete( 'alloptions', 'options' );
		$this->assertArrayNotHasKey( Settings::OPTION_SECRET, wp_load_alloptions() );
	}

	public function test_saving_without_a_secret_keeps_the_saved_one(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		update_option( Settings::OPTION_SECRET, self::SECRET, false );

		$response = $this->rest(
			'POST',
			'/layersync/v1/admin/settings',
			array(
				'relay_url' => 'https://relay2.example.com',
				'site_id'   => 'shop-2',
				'secret'    => '',
			)
		);

		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( self::SECRET, get_option( Settings::OPTION_SECRET ) );
		$this->assertSame( 'https://relay2.example.com', get_option( Settings::OPTION_RELAY_URL ) );
	}

	public function test_first_save_needs_a_secret(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		delete_option( Settings::OPTION_SECRET );
		$response = $this->rest(
			'POST',
			'/layersync/v1/admin/settings',
			array(
				'relay_url' => 'https://relay.example.com',
				'site_id'   => 'shop-1',
			)
		);
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'layersync_missing_secret', $response->get_data()['code'] );
	}

	/**
	 * Invalid values are refused with a message that says how to fix them, and nothing is saved.
	 *
	 * @param array<string, string> $body     Request body.
	 * @param string                $code     Expected error code.
	 * @param string                $field    Field named in the error.
	 * @param string                $fragment Part of the message.
	 */
	#[DataProvider( 'invalid_settings' )]
	public function test_invalid_settings_are_refused_with_clear_messages( array $body, string $code, string $field, string $fragment ): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		update_option( Settings::OPTION_SITE_ID, 'before' );

		$response = $this->rest( 'POST', '/layersync/v1/admin/settings', $body );

		$this->assertSame( 400, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( $code, $data['code'] );
		$this->assertSame( $field, $data['data']['field'] );
		$this->assertStringContainsString( $fragment, $data['message'] );
		$this->assertSame( 'before', get_option( Settings::OPTION_SITE_ID ) );
		if ( isset( $body['secret'] ) ) {
			$this->assertStringNotContainsString( $body['secret'], (string) wp_json_encode( $data ) );
		}
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{array<string, string>, string, string, string}>
	 */
	public static function invalid_settings(): array {
		$ok = array(
			'relay_url' => 'https://relay.example.com',
			'site_id'   => 'shop-1',
			'secret'    => self::SECRET,
		);
		return array(
			'plain http to a remote host' => array( array_merge( $ok, array( 'relay_url' => 'http://relay.example.com' ) ), 'layersync_insecure_relay_url', 'relay_url', 'must start with https://' ),
			'not a URL'                   => array( array_merge( $ok, array( 'relay_url' => 'relay.example.com' ) ), 'layersync_invalid_relay_url', 'relay_url', 'including https://' ),
			'URL with a query'            => array( array_merge( $ok, array( 'relay_url' => 'https://relay.example.com/?k=1' ) ), 'layersync_invalid_relay_url', 'relay_url', 'must not contain' ),
			'site id with spaces'         => array( array_merge( $ok, array( 'site_id' => 'my shop' ) ), 'layersync_invalid_site_id', 'site_id', '1-64 letters' ),
			'short secret'                => array( array_merge( $ok, array( 'secret' => 'hunter2-short' ) ), 'layersync_invalid_secret', 'secret', '32 to 256 characters' ),
		);
	}

	public function test_plain_http_is_allowed_for_a_relay_on_this_machine(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		foreach ( array( 'http://localhost:8787', 'http://127.0.0.1:8788', 'http://[::1]:8787' ) as $url ) {
			$response = $this->rest(
				'POST',
				'/layersync/v1/admin/settings',
				array(
					'relay_url' => $url,
					'site_id'   => 'local',
					'secret'    => self::SECRET,
				)
			);
			$this->assertSame( 200, $response->get_status(), $url );
			$this->assertSame( $url, $response->get_data()['relay_url'] );
		}
	}

	/**
	 * The connection test explains what the relay's answer means.
	 *
	 * @param int                  $status HTTP status from the relay (0: network error).
	 * @param array<string, mixed> $body   Relay body.
	 * @param string               $result Expected diagnosis.
	 * @param bool                 $ok     Expected ok.
	 */
	#[DataProvider( 'relay_answers' )]
	public function test_connection_test_diagnoses_the_relay_answer( int $status, array $body, string $result, bool $ok ): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->connect( 'https://relay.example.com', 'shop-1', self::SECRET );
		$sent = array();
		$this->add_test_filter(
			'pre_http_request',
			static function ( $preempt, $args, $url ) use ( $status, $body, &$sent ) {
				$sent[] = array( $url, $args );
				if ( 0 === $status ) {
					return new \WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect to relay.example.com port 443' );
				}
				return array(
					'headers'  => array(),
					'body'     => (string) wp_json_encode( $body ),
					'response' => array(
						'code'    => $status,
						'message' => '',
					),
					'cookies'  => array(),
					'filename' => null,
				);
			},
			10,
			3
		);

		$response = $this->rest( 'POST', '/layersync/v1/admin/test-connection', array() );

		$this->assertSame( 200, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( $result, $data['diagnosis'] );
		$this->assertSame( $ok, $data['ok'] );
		$this->assertNotSame( '', $data['message'] );
		$this->assertStringNotContainsString( self::SECRET, (string) wp_json_encode( $data ) );

		// A correctly signed probe with an empty batch: nothing can be stored by it. When it
		// succeeds, a signed GET of the admin API asks which relay version answered.
		$this->assertCount( $ok ? 2 : 1, $sent );
		$this->assertSame( 'https://relay.example.com/v1/events', $sent[0][0] );
		$this->assertSame( '{"events":[]}', $sent[0][1]['body'] );
		$headers = $sent[0][1]['headers'];
		$this->assertSame(
			'v1=' . hash_hmac( 'sha256', $headers['X-LayerSync-Request-Id'] . '.' . $headers['X-LayerSync-Timestamp'] . '.{"events":[]}', self::SECRET ),
			$headers['X-LayerSync-Signature']
		);
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{int, array<string, mixed>, string, bool}>
	 */
	public static function relay_answers(): array {
		return array(
			'signature accepted'  => array( 400, array( 'error' => 'invalid_body' ), 'ok', true ),
			'wrong secret'        => array( 401, array( 'error' => 'bad_signature' ), 'bad_signature', false ),
			'unknown site'        => array( 401, array( 'error' => 'unknown_site' ), 'unknown_site', false ),
			'clock skew'          => array( 401, array( 'error' => 'stale_timestamp' ), 'stale_timestamp', false ),
			'not a relay'         => array( 404, array(), 'not_a_relay', false ),
			'relay failing'       => array( 503, array( 'error' => 'store_unavailable' ), 'relay_error', false ),
			'relay not reachable' => array( 0, array(), 'unreachable', false ),
		);
	}

	public function test_connection_test_without_settings_says_what_is_missing(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_RELAY_URL, static fn() => '' );
		$data = $this->rest( 'POST', '/layersync/v1/admin/test-connection', array() )->get_data();
		$this->assertSame( 'not_configured', $data['diagnosis'] );
		$this->assertFalse( $data['ok'] );
	}

	public function test_status_reports_connection_and_outbox_counts(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->connect();
		$data = $this->rest( 'GET', '/layersync/v1/admin/status' )->get_data();
		$this->assertTrue( $data['connected'] );
		$this->assertSame(
			array(
				'pending' => 0,
				'sending' => 0,
				'sent'    => 0,
				'failed'  => 0,
			),
			$data['outbox']
		);
		$this->assertNull( $data['next_attempt_at'] );
	}

	/**
	 * Creates a user with a role.
	 *
	 * @param string $role Role.
	 * @return int
	 */
	private function user( string $role ): int {
		$user_id = wp_insert_user(
			array(
				'user_login' => 'layersync_' . $role . '_' . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'user_email' => 'layersync-' . wp_generate_password( 6, false ) . '@example.test',
				'role'       => $role,
			)
		);
		$this->assertIsInt( $user_id );
		$this->users[] = $user_id;
		return $user_id;
	}
}
