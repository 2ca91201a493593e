<?php
/**
 * Normalization and SHA-256 hashing of personal identifiers.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Identity;

/**
 * Turns raw identifiers (email, phone, names, address parts…) into the SHA-256 hex digests the
 * wire contract carries. The normalization rules are those of docs/CONTRACT.md, shared with the
 * tracker and the Node SDK through docs/identity-vectors.json: a hash computed here must equal
 * the one computed in the browser for the same person, or deduplication and matching fail.
 *
 * Raw values only pass through; nothing here stores or logs them.
 *
 * @since 0.1.0
 */
final class Hasher {

	/**
	 * Identity keys that travel hashed, in contract order.
	 */
	public const HASHED_KEYS = array( 'em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id' );

	/**
	 * Platform variants: a second hash of the same raw value, normalized the way one platform
	 * wants it, computed next to its base key (variant => base).
	 */
	public const VARIANTS = array(
		'em_google' => 'em',
		'em_reddit' => 'em',
		'ph_e164'   => 'ph',
	);

	private const GOOGLE_MAIL_DOMAINS = array( 'gmail.com', 'googlemail.com' );

	/**
	 * Calling code (digits only, e.g. "1", "44") prefixed to national phone numbers.
	 *
	 * @var string
	 */
	private string $default_calling_code;

	/**
	 * Constructor.
	 *
	 * @param string $default_calling_code Digits of the store's calling code; without it, national
	 *                                     phone numbers cannot be normalized and are not sent.
	 */
	public function __construct( string $default_calling_code = '' ) {
		$this->default_calling_code = (string) preg_replace( '/\D+/', '', $default_calling_code );
	}

	/**
	 * Normalizes one identifier. An empty string means "not usable, do not send".
	 *
	 * @param string $key     One of self::HASHED_KEYS or a key of self::VARIANTS.
	 * @param string $value   Raw value.
	 * @param string $country ISO 3166-1 alpha-2 country of the address (zp rules differ by country).
	 * @return string
	 */
	public function normalize( string $key, string $value, string $country = '' ): string {
		$value = self::trim( $value );
		if ( '' === $value ) {
			return '';
		}
		switch ( $key ) {
			case 'em':
				$value = mb_strtolower( $value, 'UTF-8' );
				return str_contains( $value, '@' ) ? $value : '';
			case 'em_google':
				// Google ignores dots and +tags in Gmail addresses only.
				$email  = $this->normalize( 'em', $value );
				$domain = substr( (string) strrchr( $email, '@' ), 1 );
				return in_array( $domain, self::GOOGLE_MAIL_DOMAINS, true ) ? self::strip_dots_and_tag( $email ) : $email;
			case 'em_reddit':
				// Reddit ignores them for every domain.
				return self::strip_dots_and_tag( $this->normalize( 'em', $value ) );
			case 'ph':
				return $this->normalize_phone( $value );
			case 'ph_e164':
				$phone = $this->normalize_phone( $value );
				return '' === $phone ? '' : '+' . $phone;
			case 'fn':
			case 'ln':
			case 'ct':
			case 'st':
				return self::letters_and_digits( $value );
			case 'zp':
				$value = (string) preg_replace( '/[\s\-]+/u', '', mb_strtolower( $value, 'UTF-8' ) );
				if ( 'us' === strtolower( self::trim( $country ) ) ) {
					$value = substr( $value, 0, 5 );
				}
				return $value;
			case 'country':
				$value = strtolower( $value );
				return 1 === preg_match( '/^[a-z]{2}$/', $value ) ? $value : '';
			case 'ge':
				$value = mb_strtolower( mb_substr( $value, 0, 1, 'UTF-8' ), 'UTF-8' );
				return in_array( $value, array( 'f', 'm' ), true ) ? $value : '';
			case 'db':
				return self::normalize_birth_date( $value );
			case 'external_id':
				return $value;
		}//end switch
		return '';
	}

	/**
	 * Normalizes and hashes one identifier; '' when there is nothing to send.
	 *
	 * @param string $key     One of self::HASHED_KEYS or a key of self::VARIANTS.
	 * @param string $value   Raw value.
	 * @param string $country ISO 3166-1 alpha-2 country of the address.
	 * @return string 64 lowercase hex characters, or ''.
	 */
	public function hash( string $key, string $value, string $country = '' ): string {
		$normalized = $this->normalize( $key, $value, $country );
		return '' === $normalized ? '' : hash( 'sha256', $normalized );
	}

	/**
	 * Hashes a set of raw identifiers keyed by contract key (`em`, `ph`, `zp`…), adding the
	 * platform variants of `em` and `ph`. Unknown keys and values that normalize to nothing are
	 * left out. `country` (raw) also decides the `zp` rule.
	 *
	 * @param array<string, scalar|null> $raw Raw identifiers.
	 * @return array<string, string> Contract key => SHA-256 hex.
	 */
	public function hash_identity( array $raw ): array {
		$country = isset( $raw['country'] ) && is_scalar( $raw['country'] ) ? (string) $raw['country'] : '';
		$keys    = array();
		// Contract order: each variant right after its base key.
		foreach ( self::HASHED_KEYS as $key ) {
			$keys[ $key ] = $key;
			foreach ( array_keys( self::VARIANTS, $key, true ) as $variant ) {
				$keys[ $variant ] = $key;
			}
		}
		$out = array();
		foreach ( $keys as $key => $source ) {
			if ( ! isset( $raw[ $source ] ) || ! is_scalar( $raw[ $source ] ) ) {
				continue;
			}
			$hashed = $this->hash( $key, (string) $raw[ $source ], $country );
			if ( '' !== $hashed ) {
				$out[ $key ] = $hashed;
			}
		}
		return $out;
	}

	/**
	 * E.164 digits without "+". "+…" and "00…" are international and keep their code (a "(0)"
	 * trunk hint such as "+44 (0)20…" is dropped); anything else is national: leading zeros (the
	 * trunk prefix) go and the store's calling code is prefixed.
	 *
	 * @param string $value Trimmed raw phone number.
	 * @return string
	 */
	private function normalize_phone( string $value ): string {
		$value  = str_replace( '(0)', '', $value );
		$digits = (string) preg_replace( '/\D+/', '', $value );
		if ( str_starts_with( $value, '+' ) ) {
			$number = ltrim( $digits, '0' );
		} elseif ( str_starts_with( $digits, '00' ) ) {
			$number = ltrim( substr( $digits, 2 ), '0' );
		} else {
			$national = ltrim( $digits, '0' );
			if ( '' === $national || '' === $this->default_calling_code ) {
				return '';
			}
			$number = $this->default_calling_code . $national;
		}
		// E.164 allows at most 15 digits; anything shorter than 7 cannot be a full number.
		$length = strlen( $number );
		return ( $length >= 7 && $length <= 15 ) ? $number : '';
	}

	/**
	 * "a.b+tag@x" → "ab@x" for an address already normalized as `em`; '' when nothing is left.
	 *
	 * @param string $email Normalized email ('' passes through).
	 * @return string
	 */
	private static function strip_dots_and_tag( string $email ): string {
		$at = strrpos( $email, '@' );
		if ( false === $at ) {
			return '';
		}
		$local = str_replace( '.', '', (string) preg_replace( '/\+.*$/s', '', substr( $email, 0, $at ) ) );
		return '' === $local ? '' : $local . substr( $email, $at );
	}

	/**
	 * Lowercase, keeping only Unicode letters, marks and digits ("Jean-Luc" → "jeanluc").
	 *
	 * @param string $value Trimmed raw value.
	 * @return string
	 */
	private static function letters_and_digits( string $value ): string {
		return (string) preg_replace( '/[^\p{L}\p{M}\p{N}]+/u', '', mb_strtolower( $value, 'UTF-8' ) );
	}

	/**
	 * YYYYMMDD from a year-first date (1997-02-16, 1997/2/16, 19970216); '' when ambiguous or invalid.
	 *
	 * @param string $value Trimmed raw value.
	 * @return string
	 */
	private static function normalize_birth_date( string $value ): string {
		if ( 1 !== preg_match( '/^(\d{4})[\-\/. ]?(\d{1,2})[\-\/. ]?(\d{1,2})$/', $value, $m ) ) {
			return '';
		}
		$year  = (int) $m[1];
		$month = (int) $m[2];
		$day   = (int) $m[3];
		if ( ! checkdate( $month, $day, $year ) ) {
			return '';
		}
		return sprintf( '%04d%02d%02d', $year, $month, $day );
	}

	/**
	 * Trims Unicode whitespace (JavaScript's String.prototype.trim does the same in the tracker).
	 *
	 * @param string $value Raw value.
	 * @return string
	 */
	private static function trim( string $value ): string {
		return (string) preg_replace( '/^[\s\x{00A0}\x{FEFF}]+|[\s\x{00A0}\x{FEFF}]+$/u', '', $value );
	}
}
