<?php
/**
 * HTTP client for the relay.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Relay;

use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Settings;

/**
 * Sends signed requests to the relay with the WordPress HTTP API. Only ever called from a
 * background drain or an admin action — never on a visitor's request.
 *
 * The relay URL is configured by an administrator and may legitimately be on this machine or
 * the local network (self-hosted relay), so this uses wp_remote_post() rather than the
 * wp_safe_remote_*() variants, which refuse local addresses.
 *
 * @since 0.1.0
 */
final class RelayClient {

	public const INGEST_PATH = '/v1/events';

	/**
	 * Signed privacy deletion (docs/CONTRACT.md, "Privacy delete").
	 */
	public const PRIVACY_DELETE_PATH = '/v1/privacy/delete';

	/**
	 * Settings holding URL, site id and secret.
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Request timeout in seconds.
	 *
	 * @var int
	 */
	private int $timeout;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Connection settings.
	 * @param int      $timeout  Request timeout in seconds (short: a slow relay must not hold a drain).
	 */
	public function __construct( Settings $settings, int $timeout = 10 ) {
		$this->settings = $settings;
		$this->timeout  = $timeout;
	}

	/**
	 * POSTs an ingest body, signed over exactly these bytes.
	 *
	 * @param string $body JSON `{"events":[…]}`.
	 * @return RelayResponse
	 */
	public function post_events( string $body ): RelayResponse {
		return $this->post_signed(
			$this->settings->relay_url(),
			$this->settings->site_id(),
			$this->settings->secret(),
			$body
		);
	}

	/**
	 * Asks the relay to delete everything it holds for a person: events, deliveries and
	 * dead letters whose identity carries one of these hashes. Signed exactly like ingest.
	 *
	 * @param array{external_id?: string, em?: string, ph?: string} $identifiers SHA-256 hex each.
	 * @return RelayResponse
	 */
	public function delete_personal_data( array $identifiers ): RelayResponse {
		$body = (string) wp_json_encode( (object) $identifiers, JSON_UNESCAPED_SLASHES );
		return $this->post_signed(
			$this->settings->relay_url(),
			$this->settings->site_id(),
			$this->settings->secret(),
			$body,
			self::PRIVACY_DELETE_PATH
		);
	}

	/**
	 * Checks a connection (saved settings unless overridden) and explains the outcome.
	 *
	 * It sends a correctly signed ingest request with an empty batch: the relay checks the
	 * signature before the body, so "bad signature" / "unknown site" answers mean wrong
	 * credentials, while a 400 about the (empty) body proves the signature was accepted —
	 * without storing anything.
	 *
	 * @param string|null $relay_url Relay URL to test instead of the saved one.
	 * @param string|null $site_id   Site id to test instead of the saved one.
	 * @param string|null $secret    Secret to test instead of the saved one.
	 * @return array{ok: bool, diagnosis: string, message: string, http_status: int}
	 */
	public function test_connection( ?string $relay_url = null, ?string $site_id = null, ?string $secret = null ): array {
		$relay_url = $relay_url ?? $this->settings->relay_url();
		$site_id   = $site_id ?? $this->settings->site_id();
		$secret    = $secret ?? $this->settings->secret();
		if ( '' === $relay_url || '' === $site_id || '' === $secret ) {
			return self::diagnosis( false, 'not_configured', __( 'Enter the relay URL, the site id and the secret first.', 'layersync' ), 0 );
		}

		$response = $this->post_signed( $relay_url, $site_id, $secret, '{"events":[]}' );
		$endpoint = untrailingslashit( $relay_url ) . self::INGEST_PATH;
		$status   = $response->status;
		$code     = $response->error_code();

		if ( $response->is_network_error() ) {
			return self::diagnosis(
				false,
				'unreachable',
				sprintf(
					/* translators: 1: URL, 2: error from the HTTP library */
					__( 'Could not reach the relay at %1$s (%2$s). Check the address, that the relay is running, and that this server may connect to it.', 'layersync' ),
					$endpoint,
					$response->network_error
				),
				0
			);
		}
		if ( 401 === $status && 'bad_signature' === $code ) {
			return self::diagnosis( false, 'bad_signature', __( 'The relay knows this site id but the signature does not match: the secret is wrong. Paste the secret the relay generated for this site.', 'layersync' ), $status );
		}
		if ( 401 === $status && 'unknown_site' === $code ) {
			return self::diagnosis( false, 'unknown_site', __( 'The relay does not know this site id. Register the site at the relay (CLI: sites add) or correct the id.', 'layersync' ), $status );
		}
		if ( 401 === $status && 'stale_timestamp' === $code ) {
			return self::diagnosis( false, 'stale_timestamp', __( 'The relay refused the request time: the clocks of this server and the relay differ by more than 5 minutes. Synchronize them (NTP).', 'layersync' ), $status );
		}
		if ( 401 === $status ) {
			return self::diagnosis( false, 'unauthorized', __( 'The relay refused the request (401). A proxy between this site and the relay may be removing the X-LayerSync-* headers.', 'layersync' ), $status );
		}
		if ( ( 400 === $status && in_array( $code, array( 'invalid_body', 'invalid_json' ), true ) ) || ( $status >= 200 && $status < 300 ) ) {
			return self::diagnosis( true, 'ok', __( 'Connected: the relay accepted this site id and secret.', 'layersync' ), $status );
		}
		if ( 404 === $status || 405 === $status ) {
			return self::diagnosis(
				false,
				'not_a_relay',
				sprintf(
					/* translators: %s: URL */
					__( 'Something answered at %s, but it is not a LayerSync relay. Check the relay URL.', 'layersync' ),
					$endpoint
				),
				$status
			);
		}
		return self::diagnosis(
			false,
			'relay_error',
			sprintf(
				/* translators: %s: status and message from the relay */
				__( 'The relay is reachable but could not answer properly: %s. Check the relay\'s logs.', 'layersync' ),
				$response->describe()
			),
			$status
		);
	}

	/**
	 * One signed POST to {relay}{path} ({relay}/v1/events by default).
	 *
	 * @param string $relay_url Relay base URL.
	 * @param string $site_id   Site id.
	 * @param string $secret    Secret (only used to sign; never logged).
	 * @param string $body      Exact body bytes.
	 * @param string $path      Path under the relay URL.
	 * @return RelayResponse
	 */
	private function post_signed( string $relay_url, string $site_id, string $secret, string $body, string $path = self::INGEST_PATH ): RelayResponse {
		$timestamp = time();
		$headers   = Signer::headers( $site_id, $secret, EventId::uuid7(), $timestamp, $body );
		$result    = wp_remote_post(
			untrailingslashit( $relay_url ) . $path,
			array(
				'body'        => $body,
				'headers'     => $headers,
				'timeout'     => $this->timeout,
				'redirection' => 0,
				'user-agent'  => 'LayerSync/' . LAYERSYNC_VERSION . '; WordPress/' . get_bloginfo( 'version' ),
			)
		);
		if ( is_wp_error( $result ) ) {
			return new RelayResponse( 0, null, null, $result->get_error_message() );
		}
		$retry_after = wp_remote_retrieve_header( $result, 'retry-after' );
		return RelayResponse::from_http(
			(int) wp_remote_retrieve_response_code( $result ),
			(string) wp_remote_retrieve_body( $result ),
			is_array( $retry_after ) ? (string) reset( $retry_after ) : (string) $retry_after,
			time()
		);
	}

	/**
	 * The shape every connection test answers with.
	 *
	 * @param bool   $ok          Whether the connection works.
	 * @param string $diagnosis   Machine-readable outcome: ok, not_configured, unreachable,
	 *                            bad_signature, unknown_site, stale_timestamp, unauthorized,
	 *                            not_a_relay, relay_error.
	 * @param string $message     What it means and what to do.
	 * @param int    $http_status Relay's HTTP status (0 when none).
	 * @return array{ok: bool, diagnosis: string, message: string, http_status: int}
	 */
	private static function diagnosis( bool $ok, string $diagnosis, string $message, int $http_status ): array {
		return array(
			'ok'          => $ok,
			'diagnosis'   => $diagnosis,
			'message'     => $message,
			'http_status' => $http_status,
		);
	}
}
