<?php
/**
 * Admin REST routes: settings, connection test, outbox status.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Rest;

use LayerSync\Internal\Admin\RelayAdminClient;
use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Commerce\Integration as Commerce;
use LayerSync\Internal\Event\TrackedEvents;
use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\Priority;
use LayerSync\Internal\Privacy\ConsentSource;
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
 * `POST /admin/settings` saves only what it is given: relay_url and site_id come together (the
 * connection), or not at all (the other screens save their own settings on a site that is not
 * connected yet).
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
	 * WooCommerce settings (tracked funnel events, purchase timing of offline gateways).
	 *
	 * @var CommerceSettings
	 */
	private CommerceSettings $commerce;

	/**
	 * The events switched on (page_view, lead).
	 *
	 * @var TrackedEvents
	 */
	private TrackedEvents $tracked;

	/**
	 * Constructor.
	 *
	 * @param Settings           $settings  Settings.
	 * @param RelayClient        $client    Relay client.
	 * @param OutboxRepository   $outbox    Outbox.
	 * @param DrainScheduler     $scheduler Drain scheduling.
	 * @param CommerceSettings   $commerce  WooCommerce settings (a default one when null).
	 * @param TrackedEvents|null $tracked   The events switched on (a default one when null).
	 */
	public function __construct( Settings $settings, RelayClient $client, OutboxRepository $outbox, DrainScheduler $scheduler, ?CommerceSettings $commerce = null, ?TrackedEvents $tracked = null ) {
		$this->settings  = $settings;
		$this->client    = $client;
		$this->outbox    = $outbox;
		$this->scheduler = $scheduler;
		$this->commerce  = $commerce ?? new CommerceSettings();
		$this->tracked   = $tracked ?? new TrackedEvents( $this->commerce );
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
				'description' => __( 'Relay base URL: https://…, or http:// for localhost / 127.0.0.1. Send it with site_id to save the connection; leave both out to keep it.', 'layersync' ),
				'type'        => 'string',
			),
			'site_id'         => array(
				'description' => __( 'Site id registered at the relay; sent together with relay_url.', 'layersync' ),
				'type'        => 'string',
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
			'require_consent' => array(
				'description' => __( 'Strict default-denied mode: record nothing until ad_storage or analytics_storage is granted.', 'layersync' ),
				'type'        => 'boolean',
			),
			'do_not_sell'     => array(
				'description' => __( 'Mark every event Do-Not-Sell (consent.do_not_sell).', 'layersync' ),
				'type'        => 'boolean',
			),
			'ldu'             => array(
				'description' => __( 'Apply Meta Limited Data Use to every event (consent.ldu).', 'layersync' ),
				'type'        => 'boolean',
			),
			'ldu_region'      => array(
				'description' => __( 'Limited Data Use region: empty (the platform geolocates), a country such as US, or a country and state such as US-CA.', 'layersync' ),
				'type'        => 'string',
				'maxLength'   => 6,
			),
			'rate_limit'      => array(
				'description' => __( 'Event requests accepted per visitor address and window; 0 turns the limit off.', 'layersync' ),
				'type'        => 'integer',
				'minimum'     => 0,
				'maximum'     => 100000,
			),
			'rate_window'     => array(
				'description' => __( 'Length of the rate-limit window in seconds.', 'layersync' ),
				'type'        => 'integer',
				'minimum'     => 1,
				'maximum'     => 3600,
			),
			'outbox_max_rows' => array(
				'description' => __( 'Size cap of the outbox in rows (0: none); above it the least important events are removed first, never purchases or refunds.', 'layersync' ),
				'type'        => 'integer',
				'minimum'     => 0,
				'maximum'     => 10000000,
			),
			'commerce_events' => array(
				'description' => __( 'WooCommerce funnel events to record; leave out to keep the saved list.', 'layersync' ),
				'type'        => 'array',
				'items'       => array(
					'type' => 'string',
					'enum' => CommerceSettings::EVENTS,
				),
				'uniqueItems' => true,
			),
			'site_events'     => array(
				'description' => __( 'Events of any site to record (page_view, lead for lead forms); leave out to keep the saved list.', 'layersync' ),
				'type'        => 'array',
				'items'       => array(
					'type' => 'string',
					'enum' => TrackedEvents::SITE_EVENTS,
				),
				'uniqueItems' => true,
			),
			'purchase_timing' => array(
				'description'          => __( 'Per offline gateway (bacs, cheque, cod): send the purchase when the order is "placed" or when it is "paid". Gateways left out keep their setting.', 'layersync' ),
				'type'                 => 'object',
				'additionalProperties' => array(
					'type' => 'string',
					'enum' => CommerceSettings::TIMINGS,
				),
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
			$test_args[ $key ]['description'] = __( 'Value to test instead of the saved one (optional).', 'layersync' );
		}
		unset( $test_args['anonymize_ip'], $test_args['consent_default'], $test_args['commerce_events'], $test_args['site_events'], $test_args['purchase_timing'] );
		unset( $test_args['require_consent'], $test_args['do_not_sell'], $test_args['ldu'], $test_args['ldu_region'], $test_args['rate_limit'], $test_args['rate_window'], $test_args['outbox_max_rows'] );
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
	 * `POST /admin/settings`: validates everything first, saves only when all is valid. Values
	 * left out keep their saved setting; relay_url and site_id are saved together or not at all.
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
		$connection                           = null !== $relay_url || null !== $site_id || null !== $secret;
		if ( $connection && ( null === $relay_url || null === $site_id ) ) {
			return new WP_Error(
				'layersync_missing_settings',
				__( 'Both the relay URL and the site id are required to save the connection.', 'layersync' ),
				array(
					'status' => 400,
					'field'  => null === $relay_url ? 'relay_url' : 'site_id',
				)
			);
		}
		if ( $connection && null === $secret && '' === $this->settings->secret() ) {
			return new WP_Error(
				'layersync_missing_secret',
				__( 'Enter the secret the relay generated for this site: none is saved yet.', 'layersync' ),
				array(
					'status' => 400,
					'field'  => 'secret',
				)
			);
		}

		$events = $request->get_param( 'commerce_events' );
		$events = null === $events ? null : CommerceSettings::validate_events( $events );
		if ( is_wp_error( $events ) ) {
			return $events;
		}
		$site_events = $request->get_param( 'site_events' );
		$site_events = null === $site_events ? null : TrackedEvents::validate_site_events( $site_events );
		if ( is_wp_error( $site_events ) ) {
			return $site_events;
		}
		$timing = $request->get_param( 'purchase_timing' );
		$timing = null === $timing ? null : $this->commerce->validate_purchase_timing( $timing );
		if ( is_wp_error( $timing ) ) {
			return $timing;
		}

		$ldu_region = $request->get_param( 'ldu_region' );
		$ldu_region = null === $ldu_region ? null : Settings::validate_ldu_region( (string) $ldu_region );
		if ( is_wp_error( $ldu_region ) ) {
			$ldu_region->add_data(
				array(
					'status' => 400,
					'field'  => 'ldu_region',
				)
			);
			return $ldu_region;
		}
		$flag = static fn( $value ): ?bool => null === $value ? null : (bool) $value;
		$int  = static fn( $value ): ?int => null === $value ? null : (int) $value;
		$this->settings->save_privacy_switches( $flag( $request->get_param( 'require_consent' ) ), $flag( $request->get_param( 'do_not_sell' ) ), $flag( $request->get_param( 'ldu' ) ), $ldu_region );
		$this->settings->save_limits( $int( $request->get_param( 'rate_limit' ) ), $int( $request->get_param( 'rate_window' ) ), $int( $request->get_param( 'outbox_max_rows' ) ) );

		$anonymize = $request->get_param( 'anonymize_ip' );
		$consent   = $request->get_param( 'consent_default' );
		if ( null !== $relay_url && null !== $site_id ) {
			$this->settings->save_connection( $relay_url, $site_id, $secret );
		}
		$this->commerce->save( $events, $timing );
		$this->tracked->save_site_events( $site_events );
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
		$result                               = $this->client->test_connection( $relay_url, $site_id, $secret );
		// TLS vs unreachable, and the relay's version through the site-signed admin API.
		$tested = array_filter(
			array(
				'relay_url' => $relay_url,
				'site_id'   => $site_id,
				'secret'    => $secret,
			),
			'is_string'
		);
		return new WP_REST_Response( ( new RelayAdminClient( $this->settings ) )->refine_diagnosis( $result, $tested ) );
	}

	/**
	 * `GET /admin/status`: connection state, outbox counts and the consent source in use.
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
				'drain'           => Drainer::state(),
				'consent_source'  => ( new ConsentSource() )->detect(),
			)
		);
	}

	/**
	 * What the admin app sees of the settings (never the secret), and read-only facts the
	 * screens show next to them: which events can be switched (the app renders its switches from
	 * these lists, so they are written once), whether WooCommerce runs, the consent source
	 * detected, and how long the outbox keeps events.
	 *
	 * @return array<string, mixed>
	 */
	private function settings_data(): array {
		return array_merge(
			array(
				'relay_url'       => $this->settings->relay_url(),
				'site_id'         => $this->settings->site_id(),
				'secret_set'      => '' !== $this->settings->secret(),
				'secret_hint'     => $this->settings->secret_hint(),
				'anonymize_ip'    => $this->settings->anonymize_ip(),
				'consent_default' => $this->settings->consent_default(),
				'require_consent' => $this->settings->require_consent(),
				'do_not_sell'     => $this->settings->do_not_sell(),
				'ldu'             => null !== $this->settings->ldu(),
				'ldu_region'      => $this->settings->ldu_region(),
				'rate_limit'      => $this->settings->rate_limit()['limit'],
				'rate_window'     => $this->settings->rate_limit()['window'],
				'outbox_max_rows' => $this->settings->outbox_max_rows(),
			),
			$this->commerce->to_array(),
			array(
				'site_events'        => $this->tracked->site_events(),
				'trackable_events'   => array(
					'site'     => TrackedEvents::SITE_EVENTS,
					'commerce' => CommerceSettings::EVENTS,
				),
				'woocommerce_active' => Commerce::woocommerce_ready(),
				'consent_source'     => ( new ConsentSource() )->detect(),
				'retention'          => $this->retention(),
			)
		);
	}

	/**
	 * How long the WordPress outbox keeps events (read-only; see Outbox\Priority and Drainer).
	 *
	 * @return array{outbox: array{tiers: list<array{seconds: int, events: list<string>, custom: bool, evictable: bool}>, delivered_seconds: int, failed_seconds: int, max_rows: int}}
	 */
	private function retention(): array {
		return array(
			'outbox' => array(
				'tiers'             => Priority::retention_tiers(),
				'delivered_seconds' => Drainer::SENT_RETENTION_SECONDS,
				'failed_seconds'    => Drainer::FAILED_RETENTION_SECONDS,
				'max_rows'          => $this->settings->outbox_max_rows(),
			),
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
