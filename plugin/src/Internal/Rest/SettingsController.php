<?php
/**
 * Admin REST routes: settings, connection test, outbox status.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Rest;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Settings;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

/**
 * Routes under `layersync/v1/admin/` for the wp-admin app. Every route requires the
 * manage_options capability; from the browser, WordPress's cookie authentication applies, which
 * needs the REST nonce (X-WP-Nonce) — without it the user is anonymous and refused.
 *
 * The secret is write-only: answers carry `secret_set` and a masked `secret_hint`, never the value.
 *
 * @since 0.1.0
 */
final class SettingsController {

	public const NAMESPACE = 'layersync/v1';

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Relay client for the connection test.
	 *
	 * @var RelayClient
	 */
	private RelayClient $client;

	/**
	 * Outbox (status counts).
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Drain scheduling (a newly connected site drains what waited).
	 *
	 * @var DrainScheduler
	 */
	private DrainScheduler $scheduler;

	/**
	 * Constructor.
	 *
	 * @param Settings         $settings  Settings.
	 * @param RelayClient      $client    Relay client.
	 * @param OutboxRepository $outbox    Outbox.
	 * @param DrainScheduler   $scheduler Drain scheduling.
	 */
	public function __construct( Settings $settings, RelayClient $client, OutboxRepository $outbox, DrainScheduler $scheduler ) {
		$this->settings  = $settings;
		$this->client    = $client;
		$this->outbox    = $outbox;
		$this->scheduler = $scheduler;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		$connection_args = array(
			'relay_url'       => array(
				'description' => __( 'Relay base URL: https://…, or http:// for localhost / 127.0.0.1.', 'layersync' ),
				'type'        => 'string',
				'required'    => true,
			),
			'site_id'         => array(
				'description' => __( 'Site id registered at the relay.', 'layersync' ),
				'type'        => 'string',
				'required'    => true,
			),
			'secret'          => array(
				'description' => __( 'New shared secret; leave out to keep the saved one.', 'layersync' ),
				'type'        => 'string',
			),
			'anonymize_ip'    => array(
				'description' => __( 'Zero the last part of visitor IPs before storing them.', 'layersync' ),
				'type'        => 'boolean',
			),
			'consent_default' => array(
				'description' => __( 'Consent assumed until a consent manager answers.', 'layersync' ),
				'type'        => 'string',
				'enum'        => array( Settings::CONSENT_GRANTED, Settings::CONSENT_DENIED ),
			),
		);

		register_rest_route(
			self::NAMESPACE,
			'/admin/settings',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_settings' ),
					'permission_callback' => array( $this, 'can_manage' ),
					'args'                => array(),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'update_settings' ),
					'permission_callback' => array( $this, 'can_manage' ),
					'args'                => $connection_args,
				),
			)
		);

		$test_args = $connection_args;
		foreach ( array( 'relay_url', 'site_id' ) as $key ) {
			$test_args[ $key ]['required']    = false;
			$test_args[ $key ]['description'] = __( 'Value to test instead of the saved one (optional).', 'layersync' );
		}
		unset( $test_args['anonymize_ip'], $test_args['consent_default'] );
		register_rest_route(
			self::NAMESPACE,
			'/admin/test-connection',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'test_connection' ),
				'permission_callback' => array( $this, 'can_manage' ),
				'args'                => $test_args,
			)
		);

		register_rest_route(
			self::NAMESPACE,
			'/admin/status',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( $this, 'get_status' ),
				'permission_callback' => array( $this, 'can_manage' ),
				'args'                => array(),
			)
		);
	}

	/**
	 * Permission: administrators (manage_options) only.
	 *
	 * @return bool
	 */
	public function can_manage(): bool {
		return current_user_can( 'manage_options' );
	}

	/**
	 * `GET /admin/settings`.
	 *
	 * @return WP_REST_Response
	 */
	public function get_settings(): WP_REST_Response {
		return new WP_REST_Response( $this->settings_data() );
	}

	/**
	 * `POST /admin/settings`: validates everything first, saves only when all is valid.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_settings( WP_REST_Request $request ) {
		$checked = $this->check_connection_params( $request );
		if ( is_wp_error( $checked ) ) {
			return $checked;
		}
		list( $relay_url, $site_id, $secret ) = $checked;
		if ( null === $relay_url || null === $site_id ) {
			return new WP_Error( 'layersync_missing_settings', __( 'Both the relay URL and the site id are required.', 'layersync' ), array( 'status' => 400 ) );
		}
		if ( null === $secret && '' === $this->settings->secret() ) {
			return new WP_Error(
				'layersync_missing_secret',
				__( 'Enter the secret the relay generated for this site: none is saved yet.', 'layersync' ),
				array(
					'status' => 400,
					'field'  => 'secret',
				)
			);
		}

		$anonymize = $request->get_param( 'anonymize_ip' );
		$consent   = $request->get_param( 'consent_default' );
		$this->settings->save_connection( $relay_url, $site_id, $secret );
		$this->settings->save_privacy(
			null === $anonymize ? null : (bool) $anonymize,
			is_string( $consent ) ? $consent : null
		);
		if ( $this->settings->is_connected() ) {
			// Events may have waited for a connection: let a background drain take them.
			$this->scheduler->schedule_soon();
		}
		return new WP_REST_Response( $this->settings_data() );
	}

	/**
	 * `POST /admin/test-connection`: tests the saved connection, or the values given.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function test_connection( WP_REST_Request $request ) {
		$checked = $this->check_connection_params( $request );
		if ( is_wp_error( $checked ) ) {
			return $checked;
		}
		list( $relay_url, $site_id, $secret ) = $checked;
		return new WP_REST_Response( $this->client->test_connection( $relay_url, $site_id, $secret ) );
	}

	/**
	 * `GET /admin/status`: connection state and outbox counts.
	 *
	 * @return WP_REST_Response
	 */
	public function get_status(): WP_REST_Response {
		$next = $this->outbox->next_attempt_time();
		return new WP_REST_Response(
			array(
				'connected'       => $this->settings->is_connected(),
				'outbox'          => $this->outbox->count_by_status(),
				'next_attempt_at' => null === $next ? null : gmdate( 'c', $next ),
				'drain_scheduled' => $this->scheduler->is_scheduled(),
			)
		);
	}

	/**
	 * What the admin app sees of the settings (never the secret).
	 *
	 * @return array{relay_url: string, site_id: string, secret_set: bool, secret_hint: string, anonymize_ip: bool, consent_default: string}
	 */
	private function settings_data(): array {
		return array(
			'relay_url'       => $this->settings->relay_url(),
			'site_id'         => $this->settings->site_id(),
			'secret_set'      => '' !== $this->settings->secret(),
			'secret_hint'     => $this->settings->secret_hint(),
			'anonymize_ip'    => $this->settings->anonymize_ip(),
			'consent_default' => $this->settings->consent_default(),
		);
	}

	/**
	 * Validates relay_url, site_id and secret from a request. Missing optional values are null.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array{0: string|null, 1: string|null, 2: string|null}|WP_Error
	 */
	private function check_connection_params( WP_REST_Request $request ) {
		$values = array();
		$checks = array(
			'relay_url' => array( Settings::class, 'validate_relay_url' ),
			'site_id'   => array( Settings::class, 'validate_site_id' ),
			'secret'    => array( Settings::class, 'validate_secret' ),
		);
		foreach ( $checks as $key => $validate ) {
			$value = $request->get_param( $key );
			if ( null === $value || ( 'secret' === $key && '' === $value ) ) {
				// An empty secret field means "keep the saved one".
				$values[] = null;
				continue;
			}
			$result = call_user_func( $validate, (string) $value );
			if ( is_wp_error( $result ) ) {
				$result->add_data(
					array(
						'status' => 400,
						'field'  => $key,
					)
				);
				return $result;
			}
			$values[] = (string) $result;
		}
		return array( $values[0], $values[1], $values[2] );
	}
}
