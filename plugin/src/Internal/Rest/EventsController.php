<?php
/**
 * The browser → WordPress events route.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Rest;

use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Event\ValidationResult;
use LayerSync\Internal\Privacy\ConsentResolver;
use LayerSync\Internal\Privacy\VisitorId;
use LayerSync\Internal\Settings;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

/**
 * `POST /wp-json/layersync/v1/events`: the storefront tracker's first-party endpoint.
 *
 * Public on purpose — pages are served from full-page caches for days, so there is no nonce to
 * check — but same-origin only: a request announcing another origin (Origin header, or
 * Sec-Fetch-Site: cross-site) is refused. Abuse limits come first: a per-client request limit
 * (429 with Retry-After; see RateLimiter), a body cap (413) and a batch cap (400). Events are
 * validated against the contract, raw personal data is refused, purchase/refund are refused
 * (server hooks only), and the request's IP and user agent are added. With consent, the
 * first-party visitor id (`layersync_uid`) is renewed and added as identity.external_id. The only
 * cost on the visitor's request is the outbox insert (and the rate counter).
 *
 * Nothing from the body is ever logged; answers name fields, never submitted values.
 *
 * @since 0.1.0
 */
final class EventsController {

	public const NAMESPACE = 'layersync/v1';
	public const ROUTE     = '/events';

	/**
	 * Most events in one request (the tracker sends at most 25).
	 */
	public const MAX_EVENTS = 50;

	/**
	 * Largest body accepted, in bytes.
	 */
	public const MAX_BODY_BYTES = 262144;

	/**
	 * Records valid events.
	 *
	 * @var EventRecorder
	 */
	private EventRecorder $recorder;

	/**
	 * Validates browser events.
	 *
	 * @var EventValidator
	 */
	private EventValidator $validator;

	/**
	 * Privacy settings (IP anonymization).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Per-client request limit.
	 *
	 * @var RateLimiter
	 */
	private RateLimiter $limiter;

	/**
	 * First-party visitor id.
	 *
	 * @var VisitorId
	 */
	private VisitorId $visitor;

	/**
	 * Constructor.
	 *
	 * @param EventRecorder    $recorder  Records valid events.
	 * @param EventValidator   $validator Validates browser events.
	 * @param Settings         $settings  Settings.
	 * @param RateLimiter|null $limiter   Per-client request limit (a default one when null).
	 * @param VisitorId|null   $visitor   First-party visitor id (a default one when null).
	 */
	public function __construct( EventRecorder $recorder, EventValidator $validator, Settings $settings, ?RateLimiter $limiter = null, ?VisitorId $visitor = null ) {
		$this->recorder  = $recorder;
		$this->validator = $validator;
		$this->settings  = $settings;
		$this->limiter   = $limiter ?? new RateLimiter();
		$this->visitor   = $visitor ?? new VisitorId();
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
		add_filter( 'rest_pre_dispatch', array( $this, 'limit_requests' ), 9, 3 );
		add_filter( 'rest_pre_dispatch', array( $this, 'reject_oversized_body' ), 10, 3 );
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		register_rest_route(
			self::NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'create_items' ),
				'permission_callback' => array( $this, 'check_origin' ),
				'args'                => array(
					'events' => array(
						'description' => __( 'Canonical events without "source" (docs/CONTRACT.md). Identifiers must be SHA-256 hashes.', 'layersync' ),
						'type'        => 'array',
						'required'    => true,
						'minItems'    => 1,
						'maxItems'    => self::MAX_EVENTS,
						'items'       => array( 'type' => 'object' ),
					),
				),
			)
		);
	}

	/**
	 * Answers 429 with Retry-After when the client sent more requests than the site allows in
	 * the current window (settings: layersync_rate_limit per layersync_rate_window seconds).
	 * Every request to the route counts, valid or not, before anything else is done with it.
	 *
	 * @param mixed           $result  Response to short-circuit with, or null.
	 * @param WP_REST_Server  $server  Server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public function limit_requests( $result, $server, $request ) {
		if ( null !== $result || ! $request instanceof WP_REST_Request || ! self::is_events_request( $request ) ) {
			return $result;
		}
		$config = $this->settings->rate_limit();

		/**
		 * Filters the per-client limit of the events route for one request: requests per window
		 * and window length in seconds. Return a limit of 0 to exempt the request (e.g. your own
		 * monitoring). Counters are keyed by a keyed hash of the client address (IPv6 per /64).
		 *
		 * @since 0.1.0
		 *
		 * @param array{limit: int, window: int} $config  From the settings (default 240 per 60 s).
		 * @param WP_REST_Request                $request The events request.
		 */
		$config = apply_filters( 'layersync_rate_limit', $config, $request );
		$limit  = is_array( $config ) && isset( $config['limit'] ) ? (int) $config['limit'] : 0;
		$window = is_array( $config ) && isset( $config['window'] ) ? (int) $config['window'] : Settings::DEFAULT_RATE_WINDOW;
		$hit    = $this->limiter->hit( $this->client_ip( $request ), $limit, $window );
		if ( $hit['allowed'] ) {
			return $result;
		}
		$response = new WP_REST_Response(
			array(
				'code'    => 'layersync_rate_limited',
				'message' => sprintf(
					/* translators: 1: requests allowed, 2: window in seconds, 3: seconds to wait */
					__( 'Too many event requests from this address: at most %1$d per %2$d seconds are accepted. Send again in %3$d seconds (queued events are kept).', 'layersync' ),
					$limit,
					max( 1, $window ),
					$hit['retry_after']
				),
				'data'    => array(
					'status'      => 429,
					'retry_after' => $hit['retry_after'],
				),
			),
			429
		);
		$response->header( 'Retry-After', (string) $hit['retry_after'] );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Answers 413 for oversized bodies before WordPress decodes the JSON.
	 *
	 * @param mixed           $result  Response to short-circuit with, or null.
	 * @param WP_REST_Server  $server  Server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public function reject_oversized_body( $result, $server, $request ) {
		if ( null !== $result || ! $request instanceof WP_REST_Request || ! self::is_events_request( $request ) ) {
			return $result;
		}
		$size = strlen( $request->get_body() );
		if ( $size > self::MAX_BODY_BYTES ) {
			return new WP_Error(
				'layersync_body_too_large',
				sprintf(
					/* translators: 1: body size in bytes, 2: limit in bytes */
					__( 'The request body is %1$d bytes; at most %2$d bytes are accepted. Send fewer or smaller events per request.', 'layersync' ),
					$size,
					self::MAX_BODY_BYTES
				),
				array( 'status' => 413 )
			);
		}
		return $result;
	}

	/**
	 * Permission: anyone, but only from this site's own pages.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function check_origin( WP_REST_Request $request ) {
		$fetch_site = strtolower( trim( (string) $request->get_header( 'sec_fetch_site' ) ) );
		if ( 'cross-site' === $fetch_site ) {
			return new WP_Error(
				'layersync_cross_site',
				__( 'Events are accepted only from this site\'s own pages (the browser reported a cross-site request).', 'layersync' ),
				array( 'status' => 403 )
			);
		}
		$origin = $request->get_header( 'origin' );
		if ( null !== $origin && '' !== trim( $origin ) && ! $this->is_allowed_origin( $origin ) ) {
			return new WP_Error(
				'layersync_cross_origin',
				__( 'Events are accepted only from this site\'s own origin. To send from another origin (a headless storefront), allow it with the layersync_allowed_origins filter, or send from your server.', 'layersync' ),
				array( 'status' => 403 )
			);
		}
		return true;
	}

	/**
	 * Validates and records the batch.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function create_items( WP_REST_Request $request ): WP_REST_Response {
		$events     = (array) $request->get_param( 'events' );
		$now        = time();
		$ip         = $this->client_ip( $request );
		$anonymize  = '' !== $ip && $this->settings->anonymize_ip();
		$user_agent = $this->user_agent( $request );
		$results    = array();
		$counts     = array_fill_keys( array( EventRecorder::QUEUED, EventRecorder::DUPLICATE, EventRecorder::REJECTED, EventRecorder::ERROR ), 0 );

		$validations = array();
		foreach ( array_values( $events ) as $index => $raw ) {
			$validations[ $index ] = $this->validator->validate_browser_event( $raw, $now );
		}
		$visitor_id = $this->visitor_id( $validations );

		foreach ( array_values( $events ) as $index => $raw ) {
			$row        = array(
				'index'    => $index,
				'event_id' => self::echoable_event_id( $raw ),
			);
			$validation = $validations[ $index ];
			if ( $validation->is_valid() ) {
				$event   = self::with_visitor_id( $validation->event, $visitor_id );
				$context = isset( $event['context'] ) && is_array( $event['context'] ) ? $event['context'] : array();
				if ( '' !== $ip ) {
					$context['ip']            = $anonymize ? (string) wp_privacy_anonymize_ip( $ip ) : $ip;
					$context['ip_anonymized'] = $anonymize;
				}
				if ( '' !== $user_agent ) {
					$context['user_agent'] = $user_agent;
				}
				$event['context'] = $context;
				$outcome          = $this->recorder->record( $event );
			} else {
				$outcome = array(
					'status' => EventRecorder::REJECTED,
					'reason' => $validation->reason(),
				);
			}
			$row['status'] = $outcome['status'];
			if ( '' !== $outcome['reason'] ) {
				$row['reason'] = $outcome['reason'];
			}
			++$counts[ $outcome['status'] ];
			$results[] = $row;
		}//end foreach

		$held = $counts[ EventRecorder::QUEUED ] + $counts[ EventRecorder::DUPLICATE ];
		if ( $held > 0 ) {
			$response = new WP_REST_Response(
				array(
					'queued'  => $counts[ EventRecorder::QUEUED ],
					'results' => $results,
				),
				202
			);
		} elseif ( $counts[ EventRecorder::ERROR ] > 0 ) {
			$response = new WP_REST_Response(
				array(
					'code'    => 'layersync_storage_unavailable',
					'message' => __( 'The events could not be stored right now; send them again later.', 'layersync' ),
					'queued'  => 0,
					'results' => $results,
				),
				503
			);
			$response->header( 'Retry-After', '30' );
		} else {
			$first    = $results[0]['reason'] ?? '';
			$response = new WP_REST_Response(
				array(
					'code'    => 'layersync_invalid_events',
					'message' => count( $results ) > 1
						/* translators: 1: number of events, 2: the first problem found */
						? sprintf( __( 'None of the %1$d events was accepted. First problem: %2$s', 'layersync' ), count( $results ), $first )
						/* translators: %s: the problem found */
						: sprintf( __( 'The event was not accepted: %s', 'layersync' ), $first ),
					'queued'  => 0,
					'results' => $results,
				),
				400
			);
		}//end if
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Renews (or creates) the visitor id cookie when the batch's latest consent snapshot allows
	 * storage, deletes it when it does not; a batch without any snapshot leaves it alone and
	 * gets no id.
	 *
	 * @param array<int, ValidationResult> $validations Validated events, in batch order.
	 * @return string Visitor id for this batch, or ''.
	 */
	private function visitor_id( array $validations ): string {
		$latest = null;
		foreach ( $validations as $validation ) {
			if ( $validation->is_valid() && isset( $validation->event['consent'] ) && is_array( $validation->event['consent'] ) ) {
				$latest = $validation->event['consent'];
			}
		}
		return null === $latest ? '' : $this->visitor->sync( $latest );
	}

	/**
	 * Adds identity.external_id (SHA-256 of the visitor id) to an event whose own consent
	 * snapshot allows storage and which has no external_id of its own.
	 *
	 * @param array<string, mixed> $event      Validated event.
	 * @param string               $visitor_id Visitor id, or ''.
	 * @return array<string, mixed>
	 */
	private static function with_visitor_id( array $event, string $visitor_id ): array {
		if ( '' === $visitor_id || ! isset( $event['consent'] ) || ! is_array( $event['consent'] ) || ! ConsentResolver::allows_storage( $event['consent'] ) ) {
			return $event;
		}
		$identity = isset( $event['identity'] ) && is_array( $event['identity'] ) ? $event['identity'] : array();
		if ( ! isset( $identity['external_id'] ) ) {
			$identity['external_id'] = VisitorId::external_id( $visitor_id );
			$event['identity']       = $identity;
		}
		return $event;
	}

	/**
	 * Whether a request is a POST to this route.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return bool
	 */
	private static function is_events_request( WP_REST_Request $request ): bool {
		return 'POST' === $request->get_method()
			&& '/' . self::NAMESPACE . self::ROUTE === strtolower( untrailingslashit( $request->get_route() ) );
	}

	/**
	 * The visitor's IP: REMOTE_ADDR, which proxies cannot forge. Sites behind a trusted reverse
	 * proxy or CDN provide the real client address through the layersync_client_ip filter.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return string A valid IP, or ''.
	 */
	private function client_ip( WP_REST_Request $request ): string {
		$remote = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';

		/**
		 * Filters the client IP stored with events (browser events and server-recorded leads).
		 *
		 * By default this is REMOTE_ADDR. Behind a reverse proxy or CDN, return the address from
		 * the header your proxy sets (and only when the request really came through it).
		 *
		 * @since 0.1.0
		 *
		 * @param string               $ip      REMOTE_ADDR.
		 * @param WP_REST_Request|null $request The events request, or null when the server records
		 *                                      an event itself (a lead-form submission, a sign-up).
		 */
		$ip = apply_filters( 'layersync_client_ip', $remote, $request );
		$ip = is_string( $ip ) ? filter_var( trim( $ip ), FILTER_VALIDATE_IP ) : false;
		return false === $ip ? '' : $ip;
	}

	/**
	 * The request's User-Agent, truncated to the contract's 512 characters.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return string
	 */
	private function user_agent( WP_REST_Request $request ): string {
		$user_agent = wp_check_invalid_utf8( (string) $request->get_header( 'user_agent' ), true );
		return mb_substr( trim( $user_agent ), 0, 512 );
	}

	/**
	 * Whether an Origin header names this site (home or site URL) or an allowed extra origin.
	 *
	 * @param string $origin Origin header.
	 * @return bool
	 */
	private function is_allowed_origin( string $origin ): bool {
		// The site's own host under either scheme: a site reachable over http and https (during a
		// TLS migration, or behind a proxy that hides the scheme) is still the same site.
		$allowed = array();
		foreach ( array( home_url(), site_url() ) as $own ) {
			foreach ( array( 'http', 'https' ) as $scheme ) {
				$allowed[] = self::origin_of( (string) set_url_scheme( $own, $scheme ) );
			}
		}

		/**
		 * Filters the extra origins allowed to post events (e.g. a headless storefront).
		 *
		 * Each entry is an origin such as "https://shop.example.com". This site's own origin is
		 * always allowed.
		 *
		 * @since 0.1.0
		 *
		 * @param string[] $origins Extra origins. Default empty.
		 */
		$extra = apply_filters( 'layersync_allowed_origins', array() );
		foreach ( is_array( $extra ) ? $extra : array() as $candidate ) {
			if ( is_string( $candidate ) ) {
				$allowed[] = self::origin_of( $candidate );
			}
		}
		$origin = self::origin_of( trim( $origin ) );
		return '' !== $origin && in_array( $origin, $allowed, true );
	}

	/**
	 * Normalized origin of a URL: scheme://host[:port], default ports dropped; '' when none.
	 *
	 * @param string $url URL or origin.
	 * @return string
	 */
	private static function origin_of( string $url ): string {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
			return '';
		}
		$scheme = strtolower( $parts['scheme'] );
		$port   = isset( $parts['port'] ) ? (int) $parts['port'] : null;
		if ( ( 'https' === $scheme && 443 === $port ) || ( 'http' === $scheme && 80 === $port ) ) {
			$port = null;
		}
		return $scheme . '://' . strtolower( $parts['host'] ) . ( null === $port ? '' : ':' . $port );
	}

	/**
	 * The event_id of a submitted event when it is safe to echo (matches the id pattern).
	 *
	 * @param mixed $raw Submitted event.
	 * @return string|null
	 */
	private static function echoable_event_id( $raw ): ?string {
		if ( is_array( $raw ) && isset( $raw['event_id'] ) && is_string( $raw['event_id'] )
			&& 1 === preg_match( EventValidator::EVENT_ID_PATTERN, $raw['event_id'] ) ) {
			return $raw['event_id'];
		}
		return null;
	}
}
