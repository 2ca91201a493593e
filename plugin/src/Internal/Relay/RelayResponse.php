<?php
/**
 * One answer from the relay.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Relay;

/**
 * What came back from one request to the relay: status (0 when the request never got an
 * answer), the decoded JSON body, Retry-After and a short description for the admin.
 *
 * @since 0.1.0
 */
final class RelayResponse {

	/**
	 * HTTP status, or 0 for a network error (DNS, refused, timeout, TLS…).
	 *
	 * @var int
	 */
	public readonly int $status;

	/**
	 * Decoded JSON object, or null when the body was not JSON.
	 *
	 * @var array<string, mixed>|null
	 */
	public readonly ?array $body;

	/**
	 * Seconds from Retry-After, or null.
	 *
	 * @var int|null
	 */
	public readonly ?int $retry_after;

	/**
	 * The transport error for status 0 (from WP_Error; no secrets in it).
	 *
	 * @var string
	 */
	public readonly string $network_error;

	/**
	 * Constructor.
	 *
	 * @param int                       $status        HTTP status or 0.
	 * @param array<string, mixed>|null $body          Decoded JSON.
	 * @param int|null                  $retry_after   Seconds.
	 * @param string                    $network_error Transport error.
	 */
	public function __construct( int $status, ?array $body, ?int $retry_after = null, string $network_error = '' ) {
		$this->status        = $status;
		$this->body          = $body;
		$this->retry_after   = $retry_after;
		$this->network_error = $network_error;
	}

	/**
	 * Builds a response from a raw body and headers.
	 *
	 * @param int    $status      HTTP status.
	 * @param string $raw_body    Body text.
	 * @param string $retry_after Retry-After header value ('' when absent).
	 * @param int    $now         Unix time (for HTTP-date Retry-After values).
	 * @return self
	 */
	public static function from_http( int $status, string $raw_body, string $retry_after, int $now ): self {
		$decoded = json_decode( $raw_body, true );
		return new self( $status, is_array( $decoded ) ? $decoded : null, self::parse_retry_after( $retry_after, $now ) );
	}

	/**
	 * Retry-After as seconds: either delta-seconds or an HTTP date.
	 *
	 * @param string $value Header value.
	 * @param int    $now   Unix time.
	 * @return int|null
	 */
	public static function parse_retry_after( string $value, int $now ): ?int {
		$value = trim( $value );
		if ( '' === $value ) {
			return null;
		}
		if ( ctype_digit( $value ) ) {
			return (int) $value;
		}
		$date = strtotime( $value );
		return false === $date ? null : max( 0, $date - $now );
	}

	/**
	 * Whether the request got an HTTP answer with this status class.
	 *
	 * @return bool
	 */
	public function is_network_error(): bool {
		return 0 === $this->status;
	}

	/**
	 * The relay's `error` code (e.g. "bad_signature"), or ''.
	 *
	 * @return string
	 */
	public function error_code(): string {
		return isset( $this->body['error'] ) && is_string( $this->body['error'] ) ? $this->body['error'] : '';
	}

	/**
	 * Per-event results of an ingest answer, indexed by their position in the batch.
	 *
	 * @return array<int, array{status: string, reason: string}>
	 */
	public function results(): array {
		$out = array();
		if ( ! isset( $this->body['results'] ) || ! is_array( $this->body['results'] ) ) {
			return $out;
		}
		foreach ( $this->body['results'] as $position => $result ) {
			if ( ! is_array( $result ) || ! isset( $result['status'] ) || ! is_string( $result['status'] ) ) {
				continue;
			}
			$index         = isset( $result['index'] ) && is_int( $result['index'] ) ? $result['index'] : (int) $position;
			$out[ $index ] = array(
				'status' => $result['status'],
				'reason' => isset( $result['reason'] ) && is_string( $result['reason'] ) ? $result['reason'] : '',
			);
		}
		return $out;
	}

	/**
	 * One line for last_error and the admin: status, the relay's code and message.
	 *
	 * @return string
	 */
	public function describe(): string {
		if ( $this->is_network_error() ) {
			return 'Relay unreachable: ' . $this->network_error;
		}
		$text = 'Relay answered HTTP ' . $this->status;
		if ( '' !== $this->error_code() ) {
			$text .= ' (' . $this->error_code() . ')';
		}
		if ( isset( $this->body['message'] ) && is_string( $this->body['message'] ) ) {
			$text .= ': ' . mb_substr( $this->body['message'], 0, 300 );
		}
		return $text;
	}
}
