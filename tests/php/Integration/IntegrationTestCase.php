<?php
/**
 * Base class for tests running inside the harness WordPress.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\OutboxTable;
use LayerSync\Internal\Settings;
use PHPUnit\Framework\TestCase;
use WP_REST_Request;
use WP_REST_Response;

/**
 * Shared set-up for integration tests: a clean outbox, no user, hooks added through
 * add_test_filter() removed afterwards, and a failure on any _doing_it_wrong() notice (e.g. a
 * wpdb::prepare() placeholder mismatch).
 *
 * The harness database is shared with the harness's WP-Cron ticker, so the suite holds the
 * WP-Cron lock while it runs (hold_wp_cron()): drains run only when a test runs them.
 */
abstract class IntegrationTestCase extends TestCase {

	/**
	 * Filters/actions added by the test: [hook, callback, priority].
	 *
	 * @var array<int, array{0: string, 1: callable, 2: int}>
	 */
	private array $test_hooks = array();

	/**
	 * _doing_it_wrong() calls seen during the test.
	 *
	 * @var string[]
	 */
	private array $doing_it_wrong = array();

	/**
	 * $_SERVER before the test.
	 *
	 * @var array<string, mixed>
	 */
	private array $server_backup = array();

	/**
	 * $_COOKIE before the test (the visitor id and event cookies write to it).
	 *
	 * @var array<string, mixed>
	 */
	private array $cookie_backup = array();

	/**
	 * Options saved before the test, restored after.
	 *
	 * @var array<string, mixed>
	 */
	private array $option_backup = array();

	/**
	 * Holds WP-Cron's lock until this process ends, so the harness's cron ticker runs nothing
	 * (wp-cron.php returns early while a lock younger than WP_CRON_LOCK_TIMEOUT exists).
	 */
	public static function hold_wp_cron(): void {
		if ( (float) get_transient( 'doing_cron' ) > microtime( true ) ) {
			return; // Held by the parent PHPUnit process (this is a test run in a separate process).
		}
		set_transient( 'doing_cron', sprintf( '%.22F', microtime( true ) + 3600 ) );
		register_shutdown_function(
			static function (): void {
				delete_transient( 'doing_cron' );
			}
		);
	}

	protected function setUp(): void {
		parent::setUp();
		$this->server_backup = $_SERVER;
		$this->cookie_backup = $_COOKIE;
		foreach ( Settings::option_names() as $option ) {
			$this->option_backup[ $option ] = get_option( $option, null );
		}
		wp_set_current_user( 0 );
		self::clear_outbox();
		$this->add_test_filter(
			'doing_it_wrong_run',
			function ( $function_name, $message ): void {
				$this->doing_it_wrong[] = $function_name . ': ' . $message;
			},
			10,
			2
		);
	}

	protected function tearDown(): void {
		foreach ( array_reverse( $this->test_hooks ) as list( $hook, $callback, $priority ) ) {
			remove_filter( $hook, $callback, $priority );
		}
		$this->test_hooks = array();
		foreach ( $this->option_backup as $option => $value ) {
			if ( null === $value ) {
				delete_option( $option );
			} else {
				update_option( $option, $value, Settings::OPTION_SECRET !== $option );
			}
		}
		$_SERVER = $this->server_backup;
		$_COOKIE = $this->cookie_backup;
		wp_set_current_user( 0 );
		self::clear_outbox();
		wp_clear_scheduled_hook( DrainScheduler::HOOK_ASYNC );
		parent::tearDown();
		$this->assertSame( array(), $this->doing_it_wrong, 'WordPress reported _doing_it_wrong()' );
	}

	/**
	 * Adds a filter or action that is removed after the test.
	 *
	 * @param string   $hook     Hook.
	 * @param callable $callback Callback.
	 * @param int      $priority Priority.
	 * @param int      $args     Accepted args.
	 */
	protected function add_test_filter( string $hook, callable $callback, int $priority = 10, int $args = 1 ): void {
		add_filter( $hook, $callback, $priority, $args );
		$this->test_hooks[] = array( $hook, $callback, $priority );
	}

	/**
	 * Makes Settings report a relay connection — in this process only, so nothing is written
	 * where another process (the harness's web server) could read it.
	 *
	 * @param string $relay_url Relay URL.
	 * @param string $site_id   Site id.
	 * @param string $secret    Secret.
	 */
	protected function connect( string $relay_url = 'https://relay.example.test', string $site_id = 'test-site', string $secret = 'test-secret-0123456789abcdef0123456789abcdef' ): void {
		$values = array(
			Settings::OPTION_RELAY_URL => $relay_url,
			Settings::OPTION_SITE_ID   => $site_id,
			Settings::OPTION_SECRET    => $secret,
		);
		foreach ( $values as $option => $value ) {
			$this->add_test_filter( 'pre_option_' . $option, static fn() => $value );
		}
	}

	/**
	 * Dispatches a REST request in-process.
	 *
	 * @param string                    $method  HTTP method.
	 * @param string                    $route   Route, e.g. /layersync/v1/events.
	 * @param array<string, mixed>|null $json    Body encoded as JSON (null: no body).
	 * @param array<string, string>     $headers Extra headers.
	 * @param string|null               $raw     Raw body instead of $json.
	 * @return WP_REST_Response
	 */
	protected function rest( string $method, string $route, ?array $json = null, array $headers = array(), ?string $raw = null ): WP_REST_Response {
		$request = new WP_REST_Request( $method, $route );
		if ( null !== $json || null !== $raw ) {
			$request->set_header( 'content-type', 'application/json' );
			$request->set_body( $raw ?? (string) wp_json_encode( $json ) );
		}
		foreach ( $headers as $name => $value ) {
			$request->set_header( $name, $value );
		}
		return rest_do_request( $request );
	}

	/**
	 * Rows of the outbox, oldest first.
	 *
	 * @return array<int, array<string, string|null>>
	 */
	protected static function outbox_rows(): array {
		global $wpdb;
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT * FROM %i ORDER BY id', OutboxTable::name() ), ARRAY_A );
		return is_array( $rows ) ? $rows : array();
	}

	/**
	 * Empties the outbox table.
	 */
	protected static function clear_outbox(): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( 'DELETE FROM %i', OutboxTable::name() ) );
	}

	/**
	 * A valid browser event (no source), overridable field by field.
	 *
	 * @param array<string, mixed> $overrides Fields to replace.
	 * @return array<string, mixed>
	 */
	protected static function browser_event( array $overrides = array() ): array {
		return array_merge(
			array(
				'event_id'   => self::uuid7(),
				'event_name' => 'lead',
				'event_time' => time(),
				'context'    => array(
					'url'    => home_url( '/layersync-demo/' ),
					'locale' => 'en-US',
				),
				'identity'   => array( 'em' => hash( 'sha256', 'jane.doe@example.com' ) ),
				'consent'    => array(
					'ad_storage'         => 'granted',
					'analytics_storage'  => 'granted',
					'ad_user_data'       => 'granted',
					'ad_personalization' => 'granted',
					'do_not_sell'        => false,
				),
			),
			$overrides
		);
	}

	/**
	 * A UUIDv7-shaped id (time-ordered, as the tracker makes them).
	 *
	 * @return string
	 */
	protected static function uuid7(): string {
		$ms   = str_pad( dechex( (int) floor( microtime( true ) * 1000 ) ), 12, '0', STR_PAD_LEFT );
		$rand = bin2hex( random_bytes( 10 ) );
		$var  = dechex( 8 + random_int( 0, 3 ) );
		return sprintf( '%s-%s-7%s-%s%s-%s', substr( $ms, 0, 8 ), substr( $ms, 8, 4 ), substr( $rand, 0, 3 ), $var, substr( $rand, 3, 3 ), substr( $rand, 6, 12 ) );
	}
}
