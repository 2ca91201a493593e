<?php
/**
 * Relay admin proxy routes.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Admin;

use LayerSync\Internal\Admin\RelayProxyController;
use LayerSync\Tests\Integration\IntegrationTestCase;
use PHPUnit\Framework\Attributes\DataProvider;

final class RelayProxyControllerTest extends IntegrationTestCase {

	private const SECRET = 'proxy-secret-0123456789abcdef0123456789abcdef';

	/**
	 * Requests that reached the (fake) relay: [url, args].
	 *
	 * @var array<int, array{0: string, 1: array<string, mixed>}>
	 */
	private array $sent = array();

	/**
	 * Makes every HTTP request answer with this status and body (status 0: transport error $error).
	 *
	 * @param int                  $status  HTTP status.
	 * @param array<string, mixed> $body    JSON body.
	 * @param string               $error   Transport error text for status 0.
	 * @param array<string, string> $headers Response headers.
	 */
	private function relay_answers( int $status, array $body, string $error = '', array $headers = array() ): void {
		$this->sent = array();
		$sent       = &$this->sent;
		$this->add_test_filter(
			'pre_http_request',
			static function ( $preempt, $args, $url ) use ( $status, $body, $error, $headers, &$sent ) {
				$sent[] = array( $url, $args );
				if ( 0 === $status ) {
					return new \WP_Error( 'http_request_failed', $error );
				}
				return array(
					'headers'  => $headers,
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
	}

	/**
	 * Every proxy route refuses anonymous users, subscribers and editors, and calls no relay.
	 *
	 * @param string                    $method Method.
	 * @param string                    $route  Route.
	 * @param array<string, mixed>|null $body   Body.
	 */
	#[DataProvider( 'routes' )]
	public function test_routes_refuse_everyone_but_administrators( string $method, string $route, ?array $body ): void {
		$this->connect( 'https://relay.example.com', 'shop-1', self::SECRET );
		$this->relay_answers( 200, array() );

		$anonymous = $this->rest( $method, $route, $body );
		$this->assertSame( 401, $anonymous->get_status() );
		$this->assertSame( 'rest_forbidden', $anonymous->get_data()['code'] );
		foreach ( array( 'subscriber', 'editor' ) as $role ) {
			wp_set_current_user( $this->user( $role ) );
			$refused = $this->rest( $method, $route, $body );
			$this->assertSame( 403, $refused->get_status(), $role );
			$this->assertSame( 'rest_forbidden', $refused->get_data()['code'] );
		}
		$this->assertSame( array(), $this->sent, 'nothing reached the relay' );
		$this->assertFalse( get_option( RelayProxyController::OPTION_BROWSER_PIXELS ), 'nothing was saved' );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{string, string, array<string, mixed>|null}>
	 */
	public static function routes(): array {
		$p = '/layersync/v1/admin/relay';
		return array(
			'destination types'  => array( 'GET', "$p/destination-types", null ),
			'list destinations'  => array( 'GET', "$p/destinations", null ),
			'create destination' => array(
				'POST',
				"$p/destinations",
				array(
					'slug'     => 'meta',
					'settings' => array( 'pixel_id' => '1' ),
				),
			),
			'update destination' => array( 'PATCH', "$p/destinations/3", array( 'enabled' => false ) ),
			'delete destination' => array( 'DELETE', "$p/destinations/3", null ),
			'test destination'   => array( 'POST', "$p/destinations/3/test", null ),
			'event map'          => array( 'PUT', "$p/destinations/3/event-map", array( 'event_map' => null ) ),
			'destination stats'  => array( 'GET', "$p/destinations/3/stats", null ),
			'stats'              => array( 'GET', "$p/stats", null ),
			'events'             => array( 'GET', "$p/events", null ),
			'event'              => array( 'GET', "$p/events/abc-123", null ),
			'deliveries'         => array( 'GET', "$p/deliveries", null ),
			'replay'             => array( 'POST', "$p/replays", array( 'event_id' => 'abc-123' ) ),
			'get site'           => array( 'GET', "$p/site", null ),
			'get policy'         => array( 'GET', "$p/policy", null ),
			'set policy'         => array( 'PUT', "$p/policy", array( 'default_denied' => true ) ),
			'get pixels'         => array( 'GET', "$p/browser-pixels", null ),
			'set pixels'         => array(
				'POST',
				"$p/browser-pixels",
				array(
					'platform' => 'meta',
					'enabled'  => true,
					'id'       => '123',
				),
			),
		);
	}

	/**
	 * GETs are signed over an empty body, writes over the exact JSON sent; the site id is the saved one.
	 */
	public function test_forwards_signed_requests_scoped_to_the_saved_site(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->connect( 'https://relay.example.com', 'shop-1', self::SECRET );
		$this->relay_answers( 200, array( 'events' => array() ) );

		$events = $this->rest( 'GET', '/layersync/v1/admin/relay/events', null );
		$this->assertSame( 200, $events->get_status() );
		$this->assertSame( array( 'events' => array() ), $events->get_data() );
		$this->assertSame( 'https://relay.example.com/v1/admin/events?limit=50', $this->sent[0][0] );
		$headers = $this->sent[0][1]['headers'];
		$this->assertSame( 'GET', $this->sent[0][1]['method'] );
		$this->assertSame( 'shop-1', $headers['X-LayerSync-Site'] );
		$this->assertSame( 'v1=' . hash_hmac( 'sha256', $headers['X-LayerSync-Request-Id'] . '.' . $headers['X-LayerSync-Timestamp'] . '.', self::SECRET ), $headers['X-LayerSync-Signature'] );
		$this->assertStringStartsWith( 'wp:', $headers['X-LayerSync-Actor'] );

		$this->relay_answers( 201, array( 'id' => 9 ) );
		$created = $this->rest(
			'POST',
			'/layersync/v1/admin/relay/destinations',
			array(
				'slug'     => 'meta',
				'settings' => array(
					'pixel_id'     => '123',
					'access_token' => 'EAAB-token',
				),
				'mode'     => 'dry_run',
			)
		);
		$this->assertSame( 201, $created->get_status() );
		$body = $this->sent[0][1]['body'];
		$this->assertSame( array( 'site_id', 'slug', 'settings', 'mode' ), array_keys( json_decode( $body, true ) ) );
		$this->assertSame( 'shop-1', json_decode( $body, true )['site_id'] );
		$headers = $this->sent[0][1]['headers'];
		$this->assertSame( 'v1=' . hash_hmac( 'sha256', $headers['X-LayerSync-Request-Id'] . '.' . $headers['X-LayerSync-Timestamp'] . '.' . $body, self::SECRET ), $headers['X-LayerSync-Signature'] );

		$this->relay_answers( 200, array() );
		$this->rest( 'GET', '/layersync/v1/admin/relay/events/ev-1', null );
		$this->assertSame( 'https://relay.example.com/v1/admin/events/shop-1/ev-1', $this->sent[0][0] );
		$this->rest( 'GET', '/layersync/v1/admin/relay/deliveries', array( 'status' => array( 'failed', 'dead' ) ) );

		// This site at the relay (the Privacy screen reads its retention): only the saved site.
		$this->relay_answers(
			200,
			array(
				'site_id'        => 'shop-1',
				'retention_days' => 90,
			)
		);
		$site = $this->rest( 'GET', '/layersync/v1/admin/relay/site', null );
		$this->assertSame( 200, $site->get_status() );
		$this->assertSame( 90, $site->get_data()['retention_days'] );
		$this->assertSame( 'https://relay.example.com/v1/admin/sites/shop-1', $this->sent[0][0] );
	}

	/**
	 * Relay refusals and transport failures become messages a merchant can act on; no secret leaks.
	 *
	 * @param int                  $status   Relay status (0: transport error).
	 * @param array<string, mixed> $body     Relay body.
	 * @param string               $error    Transport error.
	 * @param string               $code     Expected WP error code.
	 * @param int                  $http     Expected status.
	 * @param string               $fragment Expected part of the message.
	 */
	#[DataProvider( 'failures' )]
	public function test_explains_failures( int $status, array $body, string $error, string $code, int $http, string $fragment ): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->connect( 'https://relay.example.com', 'shop-1', self::SECRET );
		$this->relay_answers( $status, $body, $error );
		$response = $this->rest( 'GET', '/layersync/v1/admin/relay/destinations', null );
		$this->assertSame( $http, $response->get_status() );
		$this->assertSame( $code, $response->get_data()['code'] );
		$this->assertStringContainsString( $fragment, $response->get_data()['message'] );
		$this->assertStringNotContainsString( self::SECRET, (string) wp_json_encode( $response->get_data() ) );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{int, array<string, mixed>, string, string, int, string}>
	 */
	public static function failures(): array {
		return array(
			'unreachable'  => array( 0, array(), 'cURL error 7: Failed to connect', 'layersync_relay_unreachable', 502, 'Could not reach the relay' ),
			'tls'          => array( 0, array(), 'cURL error 60: SSL certificate problem: self-signed certificate', 'layersync_relay_tls', 502, 'certificate' ),
			'wrong secret' => array( 401, array( 'error' => 'bad_signature' ), '', 'layersync_relay_bad_signature', 502, 'secret' ),
			'clock skew'   => array( 401, array( 'error' => 'stale_timestamp' ), '', 'layersync_relay_stale_timestamp', 502, 'clocks' ),
			'unknown site' => array( 401, array( 'error' => 'unknown_site' ), '', 'layersync_relay_unknown_site', 502, 'site ID' ),
			'not a relay'  => array( 404, array(), '', 'layersync_relay_not_a_relay', 502, 'not a LayerSync relay' ),
			'validation'   => array(
				400,
				array(
					'error'   => 'invalid_settings',
					'message' => 'settings.pixel_id: Required',
				),
				'',
				'layersync_relay_invalid_settings',
				400,
				'settings.pixel_id',
			),
		);
	}

	/**
	 * Without a saved connection nothing is sent and the answer says where to connect.
	 */
	public function test_not_connected_says_where_to_connect(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->connect( '', '', '' );
		$this->relay_answers( 200, array() );
		$response = $this->rest( 'GET', '/layersync/v1/admin/relay/destinations', null );
		$this->assertSame( 409, $response->get_status() );
		$this->assertSame( 'layersync_not_connected', $response->get_data()['code'] );
		$this->assertSame( array(), $this->sent );
	}

	/**
	 * Browser pixel switches are stored for the tracker; switching on needs a pixel id.
	 */
	public function test_browser_pixels_are_saved_per_platform(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		$missing = $this->rest(
			'POST',
			'/layersync/v1/admin/relay/browser-pixels',
			array(
				'platform' => 'meta',
				'enabled'  => true,
			)
		);
		$this->assertSame( 400, $missing->get_status() );
		$this->assertSame( 'layersync_pixel_id_missing', $missing->get_data()['code'] );

		$saved = $this->rest(
			'POST',
			'/layersync/v1/admin/relay/browser-pixels',
			array(
				'platform' => 'meta',
				'enabled'  => true,
				'id'       => '1234567890',
			)
		);
		$this->assertSame( 200, $saved->get_status() );
		$this->assertSame(
			array(
				'meta' => array(
					'enabled' => true,
					'id'      => '1234567890',
				),
			),
			RelayProxyController::browser_pixels()
		);

		$bad = $this->rest(
			'POST',
			'/layersync/v1/admin/relay/browser-pixels',
			array(
				'platform' => 'myspace',
				'enabled'  => true,
				'id'       => '1',
			)
		);
		$this->assertSame( 400, $bad->get_status() );
		delete_option( RelayProxyController::OPTION_BROWSER_PIXELS );
	}

	/**
	 * Users created by the test.
	 *
	 * @var int[]
	 */
	private array $users = array();

	/**
	 * Removes the users created.
	 */
	protected function tearDown(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( $this->users as $user_id ) {
			wp_delete_user( $user_id );
		}
		$this->users = array();
		parent::tearDown();
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
