<?php
/**
 * REST routes that forward the admin app's requests to the relay admin API.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Admin;

use LayerSync\Internal\Rest\SettingsController;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

/**
 * `layersync/v1/admin/relay/*`: each route names one relay admin operation, checks its input
 * with an args schema, and forwards it signed with the site secret (RelayAdminClient). The relay
 * limits site-signed callers to their own site and masks destination secrets, so nothing here
 * can reach another site's data or return a secret. Only administrators (manage_options) may
 * call these; from the browser that means cookie authentication with the REST nonce.
 *
 * Also stores the per-platform browser pixel switches (option layersync_browser_pixels), which
 * the storefront tracker reads; the server-side switch is the relay destination's enabled flag.
 *
 * @since 0.2.0
 */
final class RelayProxyController {

	public const ROUTE_PREFIX = '/admin/relay';

	/**
	 * Option: browser pixels per tracker platform, `{meta: {enabled: bool, id: string}, …}`.
	 */
	public const OPTION_BROWSER_PIXELS = 'layersync_browser_pixels';

	/**
	 * Tracker platforms a browser pixel can be switched on for (see the tracker's PixelsConfig).
	 */
	public const PIXEL_PLATFORMS = array( 'meta', 'google', 'tiktok', 'pinterest', 'snapchat', 'linkedin', 'reddit', 'x' );

	private const SLUG_PATTERN     = '^[a-z0-9-]{1,40}$';
	private const EVENT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$';
	private const STATUSES         = array( 'pending', 'delivered', 'dry_run', 'retry', 'failed', 'dead', 'skipped' );

	/**
	 * Signed relay admin client.
	 *
	 * @var RelayAdminClient
	 */
	private RelayAdminClient $relay;

	/**
	 * Site id (forwarded where the relay wants one in the path or body).
	 *
	 * @var callable():string
	 */
	private $site_id;

	/**
	 * Constructor.
	 *
	 * @param RelayAdminClient  $relay   Signed relay admin client.
	 * @param callable():string $site_id Returns the saved site id.
	 */
	public function __construct( RelayAdminClient $relay, callable $site_id ) {
		$this->relay   = $relay;
		$this->site_id = $site_id;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
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
	 * Registers the routes.
	 */
	public function register_routes(): void {
		$id         = array(
			'id' => array(
				'description' => __( 'Relay destination id.', 'layersync' ),
				'type'        => 'integer',
				'minimum'     => 1,
				'required'    => true,
			),
		);
		$mode       = array(
			'type' => 'string',
			'enum' => array( 'live', 'dry_run' ),
		);
		$settings   = array(
			'description'          => __( 'Platform settings as described by the destination type (secrets are write-only: leave a masked value out to keep it).', 'layersync' ),
			'type'                 => 'object',
			'additionalProperties' => true,
		);
		$time       = array(
			'description' => __( 'Time: ISO 8601, unix seconds, or a duration ago such as 24h or 7d.', 'layersync' ),
			'type'        => 'string',
			'maxLength'   => 40,
		);
		$limit      = array(
			'type'    => 'integer',
			'minimum' => 1,
			'maximum' => 200,
			'default' => 50,
		);
		$cursor     = array(
			'type'      => 'string',
			'maxLength' => 512,
		);
		$slug       = array(
			'type'    => 'string',
			'pattern' => self::SLUG_PATTERN,
		);
		$event_name = array(
			'type'      => 'string',
			'maxLength' => 64,
		);

		$routes = array(
			'/destination-types'                     => array( WP_REST_Server::READABLE, 'destination_types', array() ),
			'/destinations'                          => array(
				array( WP_REST_Server::READABLE, 'list_destinations', array() ),
				array(
					WP_REST_Server::CREATABLE,
					'create_destination',
					array(
						'slug'     => array_merge( $slug, array( 'required' => true ) ),
						'settings' => array_merge( $settings, array( 'required' => true ) ),
						'mode'     => $mode,
						'enabled'  => array( 'type' => 'boolean' ),
					),
				),
			),
			'/destinations/(?P<id>\d+)'              => array(
				array(
					WP_REST_Server::EDITABLE,
					'update_destination',
					$id + array(
						'settings' => $settings,
						'mode'     => $mode,
						'enabled'  => array( 'type' => 'boolean' ),
					),
				),
				array( WP_REST_Server::DELETABLE, 'delete_destination', $id ),
			),
			'/destinations/(?P<id>\d+)/test'         => array( WP_REST_Server::CREATABLE, 'test_destination', $id ),
			'/destinations/(?P<id>\d+)/event-map'    => array(
				WP_REST_Server::EDITABLE,
				'set_event_map',
				$id + array(
					'event_map' => array(
						'description'          => __( 'Event name → platform event name, or null to stop forwarding it; null or {} removes every override.', 'layersync' ),
						'type'                 => array( 'object', 'null' ),
						'additionalProperties' => array(
							'type'      => array( 'string', 'null' ),
							'maxLength' => 100,
						),
					),
				),
			),
			'/destinations/(?P<id>\d+)/stats'        => array(
				WP_REST_Server::READABLE,
				'destination_stats',
				$id + array(
					'since'  => $time,
					'bucket' => array(
						'type' => 'string',
						'enum' => array( '5m', '15m', '1h', '6h', '1d' ),
					),
				),
			),
			'/stats'                                 => array(
				WP_REST_Server::READABLE,
				'stats',
				array(
					'since'  => $time,
					'bucket' => array(
						'type' => 'string',
						'enum' => array( '5m', '15m', '1h', '6h', '1d' ),
					),
				),
			),
			'/events'                                => array(
				WP_REST_Server::READABLE,
				'events',
				array(
					'limit'    => $limit,
					'name'     => $event_name,
					'event_id' => array(
						'type'    => 'string',
						'pattern' => self::EVENT_ID_PATTERN,
					),
					'order_id' => array(
						'type'      => 'string',
						'maxLength' => 100,
					),
					'since'    => $time,
					'cursor'   => $cursor,
				),
			),
			'/events/(?P<event_id>[A-Za-z0-9_.:-]+)' => array(
				WP_REST_Server::READABLE,
				'event',
				array(
					'event_id' => array(
						'type'     => 'string',
						'pattern'  => self::EVENT_ID_PATTERN,
						'required' => true,
					),
				),
			),
			'/deliveries'                            => array(
				WP_REST_Server::READABLE,
				'deliveries',
				array(
					'limit'       => $limit,
					'status'      => array(
						'type'  => 'array',
						'items' => array(
							'type' => 'string',
							'enum' => self::STATUSES,
						),
					),
					'destination' => $slug,
					'since'       => $time,
					'cursor'      => $cursor,
				),
			),
			'/replays'                               => array(
				WP_REST_Server::CREATABLE,
				'replay',
				array(
					'event_id'       => array(
						'type'    => 'string',
						'pattern' => self::EVENT_ID_PATTERN,
					),
					'destination_id' => array(
						'type'    => 'integer',
						'minimum' => 1,
					),
					'statuses'       => array(
						'type'  => 'array',
						'items' => array(
							'type' => 'string',
							'enum' => array( 'delivered', 'dry_run', 'failed', 'dead', 'skipped' ),
						),
					),
				),
			),
			'/site'                                  => array( WP_REST_Server::READABLE, 'get_site', array() ),
			'/policy'                                => array(
				array( WP_REST_Server::READABLE, 'get_policy', array() ),
				array(
					WP_REST_Server::EDITABLE,
					'set_policy',
					array(
						'default_denied'   => array( 'type' => 'boolean' ),
						'ldu'              => array(
							'type'       => 'object',
							'properties' => array(
								'enabled' => array( 'type' => 'boolean' ),
								'country' => array(
									'type'    => 'string',
									'pattern' => '^[A-Z]{2}$',
								),
								'state'   => array(
									'type'    => 'string',
									'pattern' => '^[A-Z0-9]{1,3}$',
								),
							),
						),
						'do_not_sell_mode' => array(
							'type' => 'string',
							'enum' => array( 'drop', 'limited' ),
						),
						'purposes'         => array(
							'type'                 => 'object',
							'additionalProperties' => array(
								'type'  => 'array',
								'items' => array(
									'type' => 'string',
									'enum' => array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' ),
								),
							),
						),
					),
				),
			),
			'/browser-pixels'                        => array(
				array( WP_REST_Server::READABLE, 'get_browser_pixels', array() ),
				array(
					WP_REST_Server::CREATABLE,
					'set_browser_pixels',
					array(
						'platform' => array(
							'type'     => 'string',
							'enum'     => self::PIXEL_PLATFORMS,
							'required' => true,
						),
						'enabled'  => array(
							'type'     => 'boolean',
							'required' => true,
						),
						'id'       => array(
							'description' => __( 'The platform\'s pixel or tag id (not a secret: it is public in the page).', 'layersync' ),
							'type'        => 'string',
							'pattern'     => '^[A-Za-z0-9_-]{0,64}$',
						),
					),
				),
			),
		);

		foreach ( $routes as $path => $spec ) {
			$endpoints = is_array( $spec[0] ) ? $spec : array( $spec );
			$options   = array();
			foreach ( $endpoints as $endpoint ) {
				list( $methods, $callback, $args ) = $endpoint;
				$options[]                         = array(
					'methods'             => $methods,
					'callback'            => array( $this, $callback ),
					'permission_callback' => array( $this, 'can_manage' ),
					'args'                => $args,
				);
			}
			register_rest_route( SettingsController::NAMESPACE, self::ROUTE_PREFIX . $path, $options );
		}
	}

	/**
	 * `GET /admin/relay/destination-types`: platforms with their settings JSON Schema.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function destination_types() {
		return $this->forward( 'GET', '/destination-types' );
	}

	/**
	 * `GET /admin/relay/destinations`: this site's platforms (secrets masked by the relay).
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function list_destinations() {
		return $this->forward( 'GET', '/destinations' );
	}

	/**
	 * `POST /admin/relay/destinations`: connects a platform.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_destination( WP_REST_Request $request ) {
		$body = array(
			'site_id'  => ( $this->site_id )(),
			'slug'     => (string) $request['slug'],
			'settings' => (object) $request['settings'],
		);
		foreach ( array( 'mode', 'enabled' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$body[ $key ] = $request[ $key ];
			}
		}
		return $this->forward( 'POST', '/destinations', array(), $body );
	}

	/**
	 * `PATCH /admin/relay/destinations/{id}`: settings, mode or the server switch.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_destination( WP_REST_Request $request ) {
		$body = array();
		if ( null !== $request['settings'] ) {
			$body['settings'] = (object) $request['settings'];
		}
		foreach ( array( 'mode', 'enabled' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$body[ $key ] = $request[ $key ];
			}
		}
		if ( array() === $body ) {
			return new WP_Error( 'layersync_nothing_to_change', __( 'Send settings, mode or enabled.', 'layersync' ), array( 'status' => 400 ) );
		}
		return $this->forward( 'PATCH', '/destinations/' . (int) $request['id'], array(), $body );
	}

	/**
	 * `DELETE /admin/relay/destinations/{id}`: disconnects a platform.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_destination( WP_REST_Request $request ) {
		return $this->forward( 'DELETE', '/destinations/' . (int) $request['id'] );
	}

	/**
	 * `POST /admin/relay/destinations/{id}/test`: the platform's own connection check.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function test_destination( WP_REST_Request $request ) {
		return $this->forward( 'POST', '/destinations/' . (int) $request['id'] . '/test' );
	}

	/**
	 * `PUT /admin/relay/destinations/{id}/event-map`: custom event names for one platform.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function set_event_map( WP_REST_Request $request ) {
		$map = $request['event_map'];
		return $this->forward( 'PUT', '/destinations/' . (int) $request['id'] . '/event-map', array(), array( 'event_map' => null === $map ? null : (object) $map ) );
	}

	/**
	 * `GET /admin/relay/destinations/{id}/stats`.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function destination_stats( WP_REST_Request $request ) {
		return $this->forward( 'GET', '/destinations/' . (int) $request['id'] . '/stats', $this->pick( $request, array( 'since', 'bucket' ) ) );
	}

	/**
	 * `GET /admin/relay/stats`: success, latency and chart buckets per platform.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function stats( WP_REST_Request $request ) {
		return $this->forward( 'GET', '/stats', $this->pick( $request, array( 'since', 'bucket' ) ) );
	}

	/**
	 * `GET /admin/relay/events`: recent events with deliveries and dedup decisions.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function events( WP_REST_Request $request ) {
		return $this->forward( 'GET', '/events', $this->pick( $request, array( 'limit', 'name', 'event_id', 'order_id', 'since', 'cursor' ) ) );
	}

	/**
	 * `GET /admin/relay/events/{event_id}`: one event with payload per destination and attempts.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function event( WP_REST_Request $request ) {
		return $this->forward( 'GET', '/events/' . rawurlencode( ( $this->site_id )() ) . '/' . rawurlencode( (string) $request['event_id'] ) );
	}

	/**
	 * `GET /admin/relay/deliveries`: e.g. dead letters (status=failed,dead).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function deliveries( WP_REST_Request $request ) {
		$query = $this->pick( $request, array( 'limit', 'destination', 'since', 'cursor' ) );
		if ( is_array( $request['status'] ) && array() !== $request['status'] ) {
			$query['status'] = implode( ',', $request['status'] );
		}
		return $this->forward( 'GET', '/deliveries', $query );
	}

	/**
	 * `POST /admin/relay/replays`: sends one event (or one platform's dead letters) again.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function replay( WP_REST_Request $request ) {
		$body = array_filter(
			array(
				'event_id'       => $request['event_id'],
				'destination_id' => $request['destination_id'],
				'statuses'       => $request['statuses'],
			),
			static fn( $v ): bool => null !== $v
		);
		if ( ! isset( $body['event_id'] ) && ! isset( $body['destination_id'] ) ) {
			return new WP_Error( 'layersync_replay_what', __( 'Say what to replay: an event_id or a destination_id.', 'layersync' ), array( 'status' => 400 ) );
		}
		return $this->forward( 'POST', '/replays', array(), $body );
	}

	/**
	 * `GET /admin/relay/site`: this site at the relay (masked secrets, destinations, retention).
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_site() {
		return $this->forward( 'GET', '/sites/' . rawurlencode( ( $this->site_id )() ) );
	}

	/**
	 * `GET /admin/relay/policy`: the relay-side privacy policy of this site.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_policy() {
		return $this->forward( 'GET', '/sites/' . rawurlencode( ( $this->site_id )() ) . '/policy' );
	}

	/**
	 * `PUT /admin/relay/policy`: replaces it (fields left out take the relay's defaults).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function set_policy( WP_REST_Request $request ) {
		$body = array();
		foreach ( array( 'default_denied', 'ldu', 'do_not_sell_mode', 'purposes' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$body[ $key ] = 'purposes' === $key || 'ldu' === $key ? (object) $request[ $key ] : $request[ $key ];
			}
		}
		return $this->forward( 'PUT', '/sites/' . rawurlencode( ( $this->site_id )() ) . '/policy', array(), $body );
	}

	/**
	 * `GET /admin/relay/browser-pixels`.
	 *
	 * @return WP_REST_Response
	 */
	public function get_browser_pixels(): WP_REST_Response {
		return new WP_REST_Response( array( 'pixels' => (object) self::browser_pixels() ) );
	}

	/**
	 * `POST /admin/relay/browser-pixels`: switches one platform's browser pixel.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function set_browser_pixels( WP_REST_Request $request ) {
		$platform = (string) $request['platform'];
		$pixels   = self::browser_pixels();
		$id       = null === $request['id'] ? ( $pixels[ $platform ]['id'] ?? '' ) : (string) $request['id'];
		$enabled  = (bool) $request['enabled'];
		if ( $enabled && '' === $id ) {
			return new WP_Error(
				'layersync_pixel_id_missing',
				__( 'Enter the pixel (tag) id before switching the browser pixel on.', 'layersync' ),
				array(
					'status' => 400,
					'field'  => 'id',
				)
			);
		}
		$pixels[ $platform ] = array(
			'enabled' => $enabled,
			'id'      => $id,
		);
		update_option( self::OPTION_BROWSER_PIXELS, $pixels, true );
		return new WP_REST_Response( array( 'pixels' => (object) $pixels ) );
	}

	/**
	 * The saved browser pixel switches.
	 *
	 * @return array<string, array{enabled: bool, id: string}>
	 */
	public static function browser_pixels(): array {
		$saved = get_option( self::OPTION_BROWSER_PIXELS, array() );
		$out   = array();
		foreach ( is_array( $saved ) ? $saved : array() as $platform => $pixel ) {
			if ( in_array( $platform, self::PIXEL_PLATFORMS, true ) && is_array( $pixel ) ) {
				$out[ (string) $platform ] = array(
					'enabled' => ! empty( $pixel['enabled'] ),
					'id'      => isset( $pixel['id'] ) && is_string( $pixel['id'] ) ? $pixel['id'] : '',
				);
			}
		}
		return $out;
	}

	/**
	 * Forwards one call and wraps the relay's JSON answer.
	 *
	 * @param string                    $method HTTP method.
	 * @param string                    $path   Path under /v1/admin.
	 * @param array<string, scalar>     $query  Query.
	 * @param array<string, mixed>|null $body   Body.
	 * @return WP_REST_Response|WP_Error
	 */
	private function forward( string $method, string $path, array $query = array(), ?array $body = null ) {
		$result = $this->relay->request( $method, $path, $query, $body );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		return new WP_REST_Response( $result['body'], $result['status'] );
	}

	/**
	 * The named request parameters that were given.
	 *
	 * @param WP_REST_Request $request Request.
	 * @param string[]        $keys    Parameter names.
	 * @return array<string, scalar>
	 */
	private function pick( WP_REST_Request $request, array $keys ): array {
		$out = array();
		foreach ( $keys as $key ) {
			$value = $request[ $key ];
			if ( is_scalar( $value ) && '' !== $value ) {
				$out[ $key ] = $value;
			}
		}
		return $out;
	}
}
