<?php
/**
 * Validation of canonical events against the wire contract.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Event;

/**
 * Checks an event the way the relay's zod schema (relay/src/contract/event.ts) does, so that
 * what the plugin stores is what the relay accepts, and answers with messages that name the
 * field and say how to fix it. Messages never quote submitted values: a rejected value may be
 * exactly the raw personal data we refuse to store or log.
 *
 * Pure PHP (no WordPress), so it is unit-tested on its own.
 *
 * @since 0.1.0
 */
final class EventValidator {

	/**
	 * GA4-style names every destination maps (mirror of STANDARD_EVENT_NAMES in event.ts).
	 */
	public const STANDARD_EVENT_NAMES = array(
		'page_view',
		'view_item',
		'view_item_list',
		'search',
		'add_to_cart',
		'remove_from_cart',
		'view_cart',
		'begin_checkout',
		'add_shipping_info',
		'add_payment_info',
		'purchase',
		'refund',
		'lead',
		'sign_up',
		'subscribe',
		'start_trial',
	);

	/**
	 * Events only the store's own hooks may record (one purchase per order, decided server-side).
	 */
	public const SERVER_ONLY_EVENTS = array( 'purchase', 'refund' );

	public const SOURCES = array( 'browser', 'server', 'webhook', 'sdk' );

	/**
	 * Identity keys that must be SHA-256 hex of a normalized value.
	 */
	public const HASHED_IDENTITY_KEYS = array( 'em', 'em_google', 'em_reddit', 'ph', 'ph_e164', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id' );

	/**
	 * Identity keys carrying platform click/browser ids (opaque, not personal data to hash).
	 */
	public const CLICK_ID_KEYS = array( 'fbp', 'fbc', 'gclid', 'gbraid', 'wbraid', 'ttclid', 'ttp', 'epik', 'scid', 'sc_cookie1', 'rdt_cid', 'rdt_uuid', 'twclid', 'li_fat_id', 'ga_client_id', 'ga_session_id' );

	public const CONSENT_SIGNALS = array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' );

	/**
	 * How old a browser event may be (a visitor's queue may be flushed on a later visit; Meta,
	 * the longest-lived common window, accepts 7 days).
	 */
	public const MAX_AGE_SECONDS = 7 * 86400;

	/**
	 * How far in the future a browser event may be (visitor clocks drift).
	 */
	public const MAX_SKEW_SECONDS = 3600;

	private const EVENT_FIELDS   = array( 'event_id', 'event_name', 'event_time', 'source', 'context', 'identity', 'commerce', 'consent', 'properties' );
	private const CONTEXT_FIELDS = array( 'url', 'referrer', 'user_agent', 'ip', 'ip_anonymized', 'locale' );

	public const EVENT_ID_PATTERN     = '/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/';
	private const CUSTOM_NAME_PATTERN = '/^custom:[A-Za-z0-9_]{1,40}$/';
	private const SHA256_PATTERN      = '/^[a-f0-9]{64}$/';
	private const EMAIL_LIKE_PATTERN  = '/[^\s@<>()"\']+@[^\s@<>()"\']+\.[a-z]{2,}/i';

	/**
	 * Validates an event as posted by a browser (without "source"; purchase and refund refused;
	 * event_time within a sane window). Client-sent ip / user_agent are dropped: the route sets
	 * them from the request.
	 *
	 * @param mixed $event Decoded JSON.
	 * @param int   $now   Current unix time.
	 * @return ValidationResult
	 */
	public function validate_browser_event( $event, int $now ): ValidationResult {
		return $this->check( $event, true, $now );
	}

	/**
	 * Validates a complete canonical event (any source), e.g. one recorded by a server hook.
	 *
	 * @param mixed $event Event array.
	 * @param int   $now   Current unix time.
	 * @return ValidationResult
	 */
	public function validate( $event, int $now ): ValidationResult {
		return $this->check( $event, false, $now );
	}

	/**
	 * Whether $name is a standard event name or custom:<name>.
	 *
	 * @param mixed $name Candidate.
	 * @return bool
	 */
	public static function is_valid_event_name( $name ): bool {
		return is_string( $name )
			&& ( in_array( $name, self::STANDARD_EVENT_NAMES, true ) || 1 === preg_match( self::CUSTOM_NAME_PATTERN, $name ) );
	}

	/**
	 * Replaces email addresses in a URL's query and fragment (e.g. "?email=jane%40example.com")
	 * with "redacted", so a page address never smuggles raw PII into the outbox.
	 *
	 * @param string $url URL.
	 * @return string
	 */
	public static function redact_url( string $url ): string {
		$cut = strcspn( $url, '?#' );
		if ( $cut >= strlen( $url ) ) {
			return $url;
		}
		$tail = (string) preg_replace( '/[^\s&=?#\/]+(?:@|%40)[^\s&=?#\/]+\.[a-z]{2,}/i', 'redacted', substr( $url, $cut ) );
		return substr( $url, 0, $cut ) . $tail;
	}

	/**
	 * The checks shared by both entry points.
	 *
	 * @param mixed $event   Candidate event.
	 * @param bool  $browser Whether the browser policy applies.
	 * @param int   $now     Current unix time.
	 * @return ValidationResult
	 */
	private function check( $event, bool $browser, int $now ): ValidationResult {
		if ( ! self::is_object( $event ) ) {
			return new ValidationResult( array(), array( 'each event must be a JSON object' ) );
		}
		/**
		 * The event as decoded JSON.
		 *
		 * @var array<string, mixed> $event
		 */
		$errors = array();
		$out    = array();
		$this->unknown_keys( $event, self::EVENT_FIELDS, '', $errors );

		// event_id.
		if ( ! isset( $event['event_id'] ) ) {
			$errors[] = 'event_id is required';
		} elseif ( ! is_string( $event['event_id'] ) || 1 !== preg_match( self::EVENT_ID_PATTERN, $event['event_id'] ) ) {
			$errors[] = 'event_id must be 1-128 characters of letters, digits, ".", "_", ":" or "-" (a UUIDv7 or a deterministic order id)';
		} else {
			$out['event_id'] = $event['event_id'];
		}

		// event_name.
		$name = $event['event_name'] ?? null;
		if ( null === $name ) {
			$errors[] = 'event_name is required';
		} elseif ( ! self::is_valid_event_name( $name ) ) {
			$errors[] = 'event_name must be one of ' . implode( ', ', self::STANDARD_EVENT_NAMES ) . ', or "custom:<name>" with 1-40 letters, digits or "_"';
		} elseif ( $browser && in_array( $name, self::SERVER_ONLY_EVENTS, true ) ) {
			$errors[] = sprintf( 'event_name "%s" is recorded by the store\'s own server hooks (once per order) and is not accepted from the browser', $name );
		} else {
			$out['event_name'] = $name;
		}

		// event_time.
		$time = $this->event_time( $event['event_time'] ?? null, $browser, $now, $errors );
		if ( null !== $time ) {
			$out['event_time'] = $time;
		}

		// source.
		if ( $browser ) {
			if ( isset( $event['source'] ) && 'browser' !== $event['source'] ) {
				$errors[] = 'source is set by the server for browser events; leave it out';
			}
			$out['source'] = 'browser';
		} elseif ( ! isset( $event['source'] ) || ! in_array( $event['source'], self::SOURCES, true ) ) {
			$errors[] = 'source must be one of ' . implode( ', ', self::SOURCES );
		} else {
			$out['source'] = $event['source'];
		}

		$context = $this->context( $event['context'] ?? array(), $browser, $errors );
		if ( array() !== $context ) {
			$out['context'] = $context;
		}
		$identity = $this->identity( $event['identity'] ?? array(), $errors );
		if ( array() !== $identity ) {
			$out['identity'] = $identity;
		}
		if ( isset( $event['commerce'] ) ) {
			$commerce = $this->commerce( $event['commerce'], $errors );
			if ( array() !== $commerce ) {
				$out['commerce'] = $commerce;
			}
		}
		if ( isset( $event['consent'] ) ) {
			$consent = $this->consent( $event['consent'], $errors );
			if ( array() !== $consent ) {
				$out['consent'] = $consent;
			}
		}
		if ( isset( $event['properties'] ) ) {
			$properties = $this->properties( $event['properties'], $errors );
			if ( array() !== $properties ) {
				$out['properties'] = $properties;
			}
		}

		return new ValidationResult( $out, $errors );
	}

	/**
	 * Event time in unix seconds.
	 *
	 * @param mixed    $value   Candidate.
	 * @param bool     $browser Whether the browser time window applies.
	 * @param int      $now     Current unix time.
	 * @param string[] $errors  Collected problems.
	 * @return int|null
	 */
	private function event_time( $value, bool $browser, int $now, array &$errors ): ?int {
		if ( null === $value ) {
			$errors[] = 'event_time is required (unix time in seconds)';
			return null;
		}
		if ( is_float( $value ) && is_finite( $value ) && floor( $value ) === $value && abs( $value ) < PHP_INT_MAX ) {
			$value = (int) $value;
		}
		if ( ! is_int( $value ) || $value <= 0 ) {
			$errors[] = 'event_time must be a positive integer: unix time in seconds';
			return null;
		}
		// 9,999,999,999 s is the year 2286 (the relay's bound): larger values are milliseconds.
		if ( $value > 9999999999 ) {
			$errors[] = 'event_time looks like milliseconds; send unix time in seconds (divide by 1000)';
			return null;
		}
		if ( $browser && $value < $now - self::MAX_AGE_SECONDS ) {
			$errors[] = 'event_time is more than 7 days in the past; such events are no longer accepted';
			return null;
		}
		if ( $browser && $value > $now + self::MAX_SKEW_SECONDS ) {
			$errors[] = 'event_time is more than 1 hour in the future; check the clock that produced it';
			return null;
		}
		return $value;
	}

	/**
	 * Context object.
	 *
	 * @param mixed    $value   Candidate.
	 * @param bool     $browser Whether ip / user_agent come from the request instead.
	 * @param string[] $errors  Collected problems.
	 * @return array<string, mixed>
	 */
	private function context( $value, bool $browser, array &$errors ): array {
		if ( ! self::is_object( $value ) ) {
			$errors[] = 'context must be an object';
			return array();
		}
		/**
		 * Decoded context.
		 *
		 * @var array<string, mixed> $value
		 */
		$this->unknown_keys( $value, self::CONTEXT_FIELDS, 'context.', $errors );
		$checks = array(
			'url'      => array( static fn( $v ): bool => self::is_text( $v, 0, 2048 ) && self::is_absolute_url( $v ), 'must be an absolute URL (scheme and host) of at most 2048 characters' ),
			'referrer' => array( static fn( $v ): bool => self::is_text( $v, 0, 2048 ), 'must be a string of at most 2048 characters' ),
		);
		if ( ! $browser ) {
			$checks['user_agent']    = array( static fn( $v ): bool => self::is_text( $v, 0, 512 ), 'must be a string of at most 512 characters' );
			$checks['ip']            = array( static fn( $v ): bool => is_string( $v ) && false !== filter_var( $v, FILTER_VALIDATE_IP ), 'must be an IPv4 or IPv6 address' );
			$checks['ip_anonymized'] = array( 'is_bool', 'must be true or false' );
		}
		$checks['locale'] = array( static fn( $v ): bool => self::is_text( $v, 0, 35 ), 'must be a BCP 47 tag of at most 35 characters, e.g. en-US' );

		$out = $this->copy_checked( $value, $checks, 'context.', $errors );
		foreach ( array( 'url', 'referrer' ) as $key ) {
			if ( isset( $out[ $key ] ) ) {
				$out[ $key ] = self::redact_url( (string) $out[ $key ] );
			}
		}
		return $out;
	}

	/**
	 * Identity object: hashed identifiers and click ids.
	 *
	 * @param mixed    $value  Candidate.
	 * @param string[] $errors Collected problems.
	 * @return array<string, string>
	 */
	private function identity( $value, array &$errors ): array {
		if ( ! self::is_object( $value ) ) {
			$errors[] = 'identity must be an object';
			return array();
		}
		/**
		 * Decoded identity.
		 *
		 * @var array<string, mixed> $value
		 */
		$this->unknown_keys( $value, array_merge( self::HASHED_IDENTITY_KEYS, self::CLICK_ID_KEYS ), 'identity.', $errors );
		$checks = array();
		foreach ( self::HASHED_IDENTITY_KEYS as $key ) {
			$checks[ $key ] = array(
				static fn( $v ): bool => is_string( $v ) && 1 === preg_match( self::SHA256_PATTERN, $v ),
				'must be a SHA-256 hash: 64 lowercase hex characters of the normalized value; raw personal data is not accepted',
			);
		}
		foreach ( self::CLICK_ID_KEYS as $key ) {
			$checks[ $key ] = array( static fn( $v ): bool => self::is_text( $v, 1, 512 ), 'must be a non-empty string of at most 512 characters' );
		}
		return $this->copy_checked( $value, $checks, 'identity.', $errors );
	}

	/**
	 * Commerce object.
	 *
	 * @param mixed    $value  Candidate.
	 * @param string[] $errors Collected problems.
	 * @return array<string, mixed>
	 */
	private function commerce( $value, array &$errors ): array {
		if ( ! self::is_object( $value ) ) {
			$errors[] = 'commerce must be an object';
			return array();
		}
		/**
		 * Decoded commerce.
		 *
		 * @var array<string, mixed> $value
		 */
		$this->unknown_keys( $value, array( 'order_id', 'value', 'currency', 'tax', 'shipping', 'coupon', 'items' ), 'commerce.', $errors );
		$out = $this->copy_checked(
			$value,
			array(
				'order_id' => array( static fn( $v ): bool => self::is_text( $v, 1, 128 ), 'must be a string of 1-128 characters' ),
				'value'    => array( array( self::class, 'is_number' ), 'must be a number' ),
				'currency' => array( static fn( $v ): bool => is_string( $v ) && 1 === preg_match( '/^[A-Z]{3}$/', $v ), 'must be an ISO 4217 code in upper case, e.g. EUR' ),
				'tax'      => array( array( self::class, 'is_number' ), 'must be a number' ),
				'shipping' => array( array( self::class, 'is_number' ), 'must be a number' ),
				'coupon'   => array( static fn( $v ): bool => self::is_text( $v, 0, 128 ), 'must be a string of at most 128 characters' ),
			),
			'commerce.',
			$errors
		);
		if ( isset( $value['value'] ) && ! isset( $value['currency'] ) ) {
			$errors[] = 'commerce.currency is required when commerce.value is set';
		}
		if ( isset( $value['items'] ) ) {
			if ( ! is_array( $value['items'] ) || ! array_is_list( $value['items'] ) || count( $value['items'] ) > 200 ) {
				$errors[] = 'commerce.items must be an array of at most 200 items';
			} else {
				$out['items'] = array();
				foreach ( $value['items'] as $i => $item ) {
					$out['items'][] = $this->item( $item, "commerce.items[$i].", $errors );
				}
			}
		}
		return $out;
	}

	/**
	 * One commerce item.
	 *
	 * @param mixed    $value  Candidate.
	 * @param string   $path   Field path prefix for messages.
	 * @param string[] $errors Collected problems.
	 * @return array<string, mixed>
	 */
	private function item( $value, string $path, array &$errors ): array {
		if ( ! self::is_object( $value ) ) {
			$errors[] = rtrim( $path, '.' ) . ' must be an object';
			return array();
		}
		/**
		 * Decoded item.
		 *
		 * @var array<string, mixed> $value
		 */
		$this->unknown_keys( $value, array( 'id', 'name', 'price', 'quantity', 'category', 'variant', 'brand' ), $path, $errors );
		if ( ! isset( $value['id'] ) ) {
			$errors[] = "{$path}id is required: a string of 1-128 characters";
		}
		$text = static fn( $v ): bool => self::is_text( $v, 0, 256 );
		$out  = $this->copy_checked(
			$value,
			array(
				'id'       => array( static fn( $v ): bool => self::is_text( $v, 1, 128 ), 'must be a string of 1-128 characters' ),
				'name'     => array( $text, 'must be a string of at most 256 characters' ),
				'price'    => array( array( self::class, 'is_number' ), 'must be a number' ),
				'quantity' => array( static fn( $v ): bool => is_int( $v ) && $v >= 1 && $v <= 1000000, 'must be a whole number from 1 to 1000000' ),
				'category' => array( $text, 'must be a string of at most 256 characters' ),
				'variant'  => array( $text, 'must be a string of at most 256 characters' ),
				'brand'    => array( $text, 'must be a string of at most 256 characters' ),
			),
			$path,
			$errors
		);
		return $out;
	}

	/**
	 * Consent snapshot.
	 *
	 * @param mixed    $value  Candidate.
	 * @param string[] $errors Collected problems.
	 * @return array<string, string|bool|array<string, string>>
	 */
	private function consent( $value, array &$errors ): array {
		if ( ! self::is_object( $value ) ) {
			$errors[] = 'consent must be an object';
			return array();
		}
		/**
		 * Decoded consent.
		 *
		 * @var array<string, mixed> $value
		 */
		$this->unknown_keys( $value, array_merge( self::CONSENT_SIGNALS, array( 'do_not_sell', 'ldu' ) ), 'consent.', $errors );
		$out = array();
		foreach ( self::CONSENT_SIGNALS as $signal ) {
			$state = $value[ $signal ] ?? null;
			if ( 'granted' !== $state && 'denied' !== $state ) {
				$errors[] = "consent.$signal must be \"granted\" or \"denied\" (a consent snapshot carries all four signals)";
			} else {
				$out[ $signal ] = $state;
			}
		}
		if ( isset( $value['do_not_sell'] ) && ! is_bool( $value['do_not_sell'] ) ) {
			$errors[] = 'consent.do_not_sell must be true or false';
		}
		$out['do_not_sell'] = isset( $value['do_not_sell'] ) && true === $value['do_not_sell'];
		if ( array_key_exists( 'ldu', $value ) ) {
			if ( ! self::is_object( $value['ldu'] ) ) {
				$errors[] = 'consent.ldu must be an object: {} or {"country":"US","state":"CA"}';
			} else {
				$this->unknown_keys( $value['ldu'], array( 'country', 'state' ), 'consent.ldu.', $errors );
				$out['ldu'] = $this->copy_checked(
					$value['ldu'],
					array(
						'country' => array( static fn( $v ): bool => is_string( $v ) && 1 === preg_match( '/^[A-Z]{2}$/', $v ), 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. US' ),
						'state'   => array( static fn( $v ): bool => is_string( $v ) && 1 === preg_match( '/^[A-Z0-9]{1,3}$/', $v ), 'must be the ISO 3166-2 subdivision code without the country, upper case, e.g. CA' ),
					),
					'consent.ldu.',
					$errors
				);
			}
		}
		return $out;
	}

	/**
	 * Free-form scalar properties.
	 *
	 * @param mixed    $value  Candidate.
	 * @param string[] $errors Collected problems.
	 * @return array<string, string|int|float|bool|null>
	 */
	private function properties( $value, array &$errors ): array {
		if ( ! is_array( $value ) ) {
			$errors[] = 'properties must be an object';
			return array();
		}
		$out = array();
		foreach ( $value as $key => $prop ) {
			$key   = (string) $key;
			$label = self::key_label( $key );
			if ( mb_strlen( $key ) > 64 ) {
				$errors[] = 'properties: names must be at most 64 characters';
			} elseif ( is_string( $prop ) ) {
				if ( mb_strlen( $prop ) > 1024 ) {
					$errors[] = "properties.$label must be at most 1024 characters";
				} elseif ( 1 === preg_match( self::EMAIL_LIKE_PATTERN, $prop ) ) {
					$errors[] = "properties.$label looks like it contains an email address: send identifiers only hashed, as identity.em";
				} else {
					$out[ $key ] = $prop;
				}
			} elseif ( null === $prop || is_bool( $prop ) || self::is_number( $prop ) ) {
				$out[ $key ] = $prop;
			} else {
				$errors[] = "properties.$label must be a string, number, boolean or null";
			}
		}
		return $out;
	}

	/**
	 * Copies the fields present in $value that pass their check, in the order of $checks (the
	 * contract's order), and reports the others as "<path><field> <problem>".
	 *
	 * @param array<string, mixed>                         $value  Object.
	 * @param array<string, array{0: callable, 1: string}> $checks Field => [check, problem].
	 * @param string                                       $path   Field path prefix.
	 * @param string[]                                     $errors Collected problems.
	 * @return array<string, mixed>
	 */
	private function copy_checked( array $value, array $checks, string $path, array &$errors ): array {
		$out = array();
		foreach ( $checks as $key => list( $check, $problem ) ) {
			if ( ! isset( $value[ $key ] ) ) {
				continue;
			}
			if ( $check( $value[ $key ] ) ) {
				$out[ $key ] = $value[ $key ];
			} else {
				$errors[] = "$path$key $problem";
			}
		}
		return $out;
	}

	/**
	 * Reports keys that are not part of the contract (objects are strict, as in zod).
	 *
	 * @param array<array-key, mixed> $value   Object.
	 * @param string[]                $allowed Known keys.
	 * @param string                  $path    Field path prefix.
	 * @param string[]                $errors  Collected problems.
	 */
	private function unknown_keys( array $value, array $allowed, string $path, array &$errors ): void {
		foreach ( array_keys( $value ) as $key ) {
			if ( ! in_array( (string) $key, $allowed, true ) ) {
				$errors[] = sprintf( '%s%s is not a known field (known: %s)', $path, self::key_label( (string) $key ), implode( ', ', $allowed ) );
			}
		}
	}

	/**
	 * A field name safe to repeat in a message (a name could itself be someone's address).
	 *
	 * @param string $key Field name.
	 * @return string
	 */
	private static function key_label( string $key ): string {
		return 1 === preg_match( '/^[A-Za-z0-9_\-]{1,64}$/', $key ) ? $key : '(a field with an unusual name)';
	}

	/**
	 * Whether $value decodes from a JSON object (an empty array counts: `{}` decodes to it).
	 *
	 * @param mixed $value Candidate.
	 * @return bool
	 */
	private static function is_object( $value ): bool {
		return is_array( $value ) && ( array() === $value || ! array_is_list( $value ) );
	}

	/**
	 * Whether $value is a finite JSON number.
	 *
	 * @param mixed $value Candidate.
	 * @return bool
	 */
	private static function is_number( $value ): bool {
		return is_int( $value ) || ( is_float( $value ) && is_finite( $value ) );
	}

	/**
	 * Whether $value is a string with a length (in characters) within bounds.
	 *
	 * @param mixed $value Candidate.
	 * @param int   $min   Minimum length.
	 * @param int   $max   Maximum length.
	 * @return bool
	 */
	private static function is_text( $value, int $min, int $max ): bool {
		if ( ! is_string( $value ) ) {
			return false;
		}
		$length = mb_strlen( $value );
		return $length >= $min && $length <= $max;
	}

	/**
	 * Whether $url has a scheme and a host.
	 *
	 * @param string $url Candidate.
	 * @return bool
	 */
	private static function is_absolute_url( string $url ): bool {
		if ( 1 === preg_match( '/\s/', $url ) ) {
			return false;
		}
		$parts = parse_url( $url ); // phpcs:ignore WordPress.WP.AlternativeFunctions.parse_url_parse_url -- pure class without WordPress; PHP 8's parse_url has no quirks wp_parse_url works around.
		return is_array( $parts ) && isset( $parts['scheme'], $parts['host'] ) && '' !== $parts['host'];
	}
}
