<?php
/**
 * Signed calls to the relay's admin API on behalf of this site.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Admin;

use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Relay\Signer;
use LayerSync\Internal\Settings;
use WP_Error;

/**
 * Calls `/v1/admin/*` on the relay, signed with this site's secret exactly like ingest
 * (docs/CONTRACT.md, "Admin API for a site"). The relay then limits every answer to this site,
 * so WordPress never needs the relay-wide admin token and the browser never sees a secret.
 *
 * Failures become WP_Error objects whose message tells a merchant what is wrong and what to do
 * (unreachable relay, TLS problem, wrong secret, clock skew …), with the relay's own code and
 * message kept in the error data.
 *
 * @since 0.2.0
 */
final class RelayAdminClient {

	public const ADMIN_PREFIX = '/v1/admin';

	/**
	 * Connection settings.
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Timeout per request, in seconds.
	 *
	 * @var int
	 */
	private int $timeout;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Connection settings (URL, site id, secret).
	 * @param int      $timeout  Request timeout in seconds (connection tests with platforms can be slow).
	 */
	public function __construct( Settings $settings, int $timeout = 20 ) {
		$this->settings = $settings;
		$this->timeout  = $timeout;
	}

	/**
	 * One signed request to the relay admin API.
	 *
	 * @param string                                                       $method HTTP method.
	 * @param string                                                       $path   Path under /v1/admin, e.g. "/destinations".
	 * @param array<string, scalar>                                        $query  Query parameters (empty values are dropped).
	 * @param array<string, mixed>|null                                    $body   JSON body, or null for none.
	 * @param array{relay_url?: string, site_id?: string, secret?: string} $connection Values to use instead of the saved ones.
	 * @return array{status: int, body: mixed, version: string}|WP_Error
	 */
	public function request( string $method, string $path, array $query = array(), ?array $body = null, array $connection = array() ) {
		$relay_url = $connection['relay_url'] ?? $this->settings->relay_url();
		$site_id   = $connection['site_id'] ?? $this->settings->site_id();
		$secret    = $connection['secret'] ?? $this->settings->secret();
		if ( '' === $relay_url || '' === $site_id || '' === $secret ) {
			return new WP_Error(
				'layersync_not_connected',
				__( 'LayerSync is not connected to a relay yet. Enter the relay URL, site ID and secret on the Connection tab, save, and try again.', 'layersync' ),
				array( 'status' => 409 )
			);
		}

		if ( null === $body && in_array( strtoupper( $method ), array( 'POST', 'PUT', 'PATCH' ), true ) ) {
			// The relay takes a JSON body (with its Content-Type) on every write, even an empty one.
			$body = array();
		}
		$query = array_filter( $query, static fn( $v ): bool => null !== $v && '' !== $v );
		$url   = untrailingslashit( $relay_url ) . self::ADMIN_PREFIX . $path;
		if ( array() !== $query ) {
			$url .= '?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 );
		}
		$raw     = null === $body ? '' : (string) wp_json_encode( (object) $body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		$headers = Signer::headers( $site_id, $secret, EventId::uuid7(), time(), $raw );
		if ( null === $body ) {
			unset( $headers['Content-Type'] );
		}
		$user = wp_get_current_user();
		if ( $user->exists() ) {
			$actor                        = preg_replace( '/[^\x20-\x7e]/', '', 'wp:' . $user->user_login );
			$headers['X-LayerSync-Actor'] = substr( (string) $actor, 0, 100 );
		}

		$args = array(
			'method'      => $method,
			'headers'     => $headers,
			'timeout'     => $this->timeout,
			'redirection' => 0,
			'user-agent'  => 'LayerSync/' . LAYERSYNC_VERSION . '; WordPress/' . get_bloginfo( 'version' ),
		);
		if ( null !== $body ) {
			$args['body'] = $raw;
		}
		$result = wp_remote_request( $url, $args );
		if ( is_wp_error( $result ) ) {
			return self::network_error( $result->get_error_message(), untrailingslashit( $relay_url ) );
		}
		$status  = (int) wp_remote_retrieve_response_code( $result );
		$text    = (string) wp_remote_retrieve_body( $result );
		$decoded = json_decode( $text, true );
		$version = wp_remote_retrieve_header( $result, 'x-layersync-relay-version' );
		$version = is_array( $version ) ? (string) reset( $version ) : $version;
		if ( $status >= 200 && $status < 300 ) {
			return array(
				'status'  => $status,
				'body'    => is_array( $decoded ) ? $decoded : $text,
				'version' => $version,
			);
		}
		return self::relay_error( $status, is_array( $decoded ) ? $decoded : null );
	}

	/**
	 * Completes a connection test (RelayClient::test_connection()): tells a TLS failure apart from
	 * an unreachable relay, and on success asks the admin API which relay version answered and
	 * whether this site may use the admin screens.
	 *
	 * @param array{ok: bool, diagnosis: string, message: string, http_status: int} $result     The ingest-based test.
	 * @param array{relay_url?: string, site_id?: string, secret?: string}          $connection Values tested instead of the saved ones.
	 * @return array{ok: bool, diagnosis: string, message: string, http_status: int, relay_version?: string}
	 */
	public function refine_diagnosis( array $result, array $connection = array() ): array {
		if ( 'unreachable' === $result['diagnosis'] && self::is_tls_error( $result['message'] ) ) {
			$result['diagnosis'] = 'tls_error';
			$result['message']   = sprintf(
				/* translators: %s: error from the HTTP library, with the URL */
				__( 'The relay was found but the secure (TLS) connection failed. Check the relay\'s HTTPS certificate (valid, not expired, issued for this host name, with its full chain). Details: %s', 'layersync' ),
				$result['message']
			);
			return $result;
		}
		if ( ! $result['ok'] ) {
			return $result;
		}
		$answer = $this->request( 'GET', '/sites', array(), null, $connection );
		if ( is_wp_error( $answer ) ) {
			$result['message'] .= ' ' . sprintf(
				/* translators: %s: why the admin API could not be used */
				__( 'Events can be sent, but the Platforms, Events and Deliveries screens cannot reach the relay: %s', 'layersync' ),
				$answer->get_error_message()
			);
			return $result;
		}
		$version                 = '' === $answer['version'] ? __( 'unknown version', 'layersync' ) : $answer['version'];
		$result['relay_version'] = $answer['version'];
		$result['message']       = sprintf(
			/* translators: %s: relay version */
			__( 'Connected: LayerSync relay %s accepted this site ID and secret.', 'layersync' ),
			$version
		);
		return $result;
	}

	/**
	 * A transport failure, explained: TLS problems apart from an unreachable relay.
	 *
	 * @param string $detail    Error text of the HTTP library.
	 * @param string $relay_url Relay URL.
	 * @return WP_Error
	 */
	public static function network_error( string $detail, string $relay_url ): WP_Error {
		if ( self::is_tls_error( $detail ) ) {
			return new WP_Error(
				'layersync_relay_tls',
				sprintf(
					/* translators: 1: relay URL, 2: error from the HTTP library */
					__( 'The secure (TLS) connection to the relay at %1$s failed: %2$s. Check the relay\'s HTTPS certificate (valid, not expired, issued for this host name, with its full chain).', 'layersync' ),
					$relay_url,
					$detail
				),
				array(
					'status'      => 502,
					'relay_error' => 'tls',
				)
			);
		}
		return new WP_Error(
			'layersync_relay_unreachable',
			sprintf(
				/* translators: 1: relay URL, 2: error from the HTTP library */
				__( 'Could not reach the relay at %1$s (%2$s). Check the address, that the relay is running, and that this server may connect to it.', 'layersync' ),
				$relay_url,
				$detail
			),
			array(
				'status'      => 502,
				'relay_error' => 'unreachable',
			)
		);
	}

	/**
	 * Whether an HTTP library error is about TLS (certificate, handshake).
	 *
	 * @param string $detail Error text.
	 * @return bool
	 */
	public static function is_tls_error( string $detail ): bool {
		return 1 === preg_match( '/\b(ssl|tls|certificate|cURL error (35|51|58|59|60|77|80|82|83|90|91))\b/i', $detail );
	}

	/**
	 * An error answer from the relay, explained. The relay's 401 codes mean a connection problem
	 * (502 here, so the browser does not mistake it for its own login); other statuses (400, 403,
	 * 404, 409, 422) are passed on with the relay's message, which names the field or the reason.
	 *
	 * @param int                       $status HTTP status.
	 * @param array<string, mixed>|null $body   Decoded body.
	 * @return WP_Error
	 */
	public static function relay_error( int $status, ?array $body ): WP_Error {
		$code    = isset( $body['error'] ) && is_string( $body['error'] ) ? $body['error'] : '';
		$message = isset( $body['message'] ) && is_string( $body['message'] ) ? $body['message'] : '';
		$data    = array(
			'status'       => 502,
			'relay_status' => $status,
			'relay_error'  => $code,
		);
		if ( isset( $body['issues'] ) && is_array( $body['issues'] ) ) {
			$data['issues'] = $body['issues'];
		}
		$explained = array(
			'bad_signature'    => __( 'The relay refused this site\'s signature: the secret saved on the Connection tab is wrong. Paste the secret the relay generated for this site.', 'layersync' ),
			'unknown_site'     => __( 'The relay does not know this site ID. Correct the site ID on the Connection tab, or register the site at the relay.', 'layersync' ),
			'stale_timestamp'  => __( 'The relay refused the request time: the clocks of this server and the relay differ by more than 5 minutes. Synchronize them (NTP).', 'layersync' ),
			'missing_headers'  => __( 'The relay did not receive the signature headers. A proxy between this site and the relay may be removing the X-LayerSync-* headers.', 'layersync' ),
			'replayed_request' => __( 'The relay saw this request already. Try again.', 'layersync' ),
		);
		if ( isset( $explained[ $code ] ) ) {
			return new WP_Error( 'layersync_relay_' . $code, $explained[ $code ], $data );
		}
		if ( null === $body || '' === $code ) {
			return new WP_Error(
				'layersync_relay_not_a_relay',
				sprintf(
					/* translators: %d: HTTP status */
					__( 'The relay URL answered HTTP %d without a LayerSync answer: it is not a LayerSync relay, or the relay is too old for this screen. Check the relay URL and update the relay.', 'layersync' ),
					$status
				),
				$data
			);
		}
		$data['status'] = in_array( $status, array( 400, 403, 404, 409, 422 ), true ) ? $status : 502;
		return new WP_Error(
			'layersync_relay_' . $code,
			sprintf(
				/* translators: %s: the relay's message */
				__( 'The relay said: %s', 'layersync' ),
				'' === $message ? $code : $message
			),
			$data
		);
	}
}
