<?php
/**
 * Which submitted form fields identify the person, and as what.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

/**
 * Maps the fields of one submission to raw identifiers keyed by contract key (`em`, `ph`,
 * `fn`, `ln`…), ready for the Hasher. Pure PHP: no WordPress, no storage, nothing logged.
 *
 * A field is `{name, label, type, value}` as each form plugin's adapter extracts it. For every
 * field, the first rule that applies decides:
 * 1. an explicit rule from the settings, matched case-insensitively against the field's name,
 *    then its label, then `type:<type>` — target one of TARGETS, or "ignore";
 * 2. with automatic detection on: by type (email, tel/phone, name parts), then by name or label
 *    (email/e-mail; phone/tel/mobile/cell; first name/given name; last name/surname/family name;
 *    a bare "name" or "full name" is split into first and last name);
 * 3. with automatic detection on and no email found: a value that is an email address and
 *    nothing else.
 * Password, file, hidden-by-type and captcha fields are never used, whatever the rules say.
 * The first value found for a key wins.
 *
 * @since 0.1.0
 *
 * @phpstan-type Field array{name: string, label: string, type: string, value: mixed}
 * @phpstan-type FieldConfig array{enabled: bool, auto: bool, fields: array<string, string>, exclude: list<string>}
 */
final class FieldMapper {

	/**
	 * Targets a rule may name: contract keys, "name" (full name, split), "ignore".
	 */
	public const TARGETS = array( 'em', 'ph', 'fn', 'ln', 'name', 'ct', 'st', 'zp', 'country', 'ge', 'db', 'ignore' );

	/**
	 * Field types that never carry an identifier we may use.
	 */
	private const NEVER = array( 'password', 'file', 'mfile', 'upload', 'captcha', 'recaptcha', 'hcaptcha', 'turnstile', 'quiz', 'acceptance', 'signature', 'credit_card', 'creditcard', 'stripe', 'paypal' );

	private const BY_TYPE = array(
		'email'      => 'em',
		'tel'        => 'ph',
		'phone'      => 'ph',
		'name_first' => 'fn',
		'name_last'  => 'ln',
		'name'       => 'name',
	);

	/**
	 * Name/label patterns, tried in order.
	 */
	private const BY_NAME = array(
		'/(?:^|[^a-z])e[-_ ]?mail(?:$|[^a-z])/i'     => 'em',
		'/phone|(?:^|[^a-z])tel(?:$|[^a-z])|mobile|(?:^|[^a-z])cell|whatsapp/i' => 'ph',
		'/first[-_ ]?name|(?:^|[^a-z])fname|given[-_ ]?name|vorname|pr[eé]nom/iu' => 'fn',
		'/last[-_ ]?name|(?:^|[^a-z])lname|surname|family[-_ ]?name|nachname/i' => 'ln',
		'/^(?:your[-_ ]?)?(?:full[-_ ]?)?name\*?$/i' => 'name',
	);

	private const EMAIL_VALUE = '/^[^\s@<>()"\']+@[^\s@<>()"\']+\.[a-z]{2,}$/i';

	/**
	 * Raw identifiers of one submission.
	 *
	 * @param array<int, array<string, mixed>> $fields Fields: name, label, type, value.
	 * @phpstan-param list<Field> $fields
	 * @param array<string, mixed>             $config Per-plugin settings: auto (bool), fields (rule key => target).
	 * @return array<string, string> Contract key => raw value.
	 */
	public function map( array $fields, array $config ): array {
		$auto  = ! isset( $config['auto'] ) || (bool) $config['auto'];
		$rules = array();
		foreach ( isset( $config['fields'] ) && is_array( $config['fields'] ) ? $config['fields'] : array() as $key => $target ) {
			if ( is_string( $target ) && in_array( $target, self::TARGETS, true ) ) {
				$rules[ self::fold( (string) $key ) ] = $target;
			}
		}

		$raw = array();
		foreach ( $fields as $field ) {
			$type = self::fold( (string) ( $field['type'] ?? '' ) );
			if ( in_array( $type, self::NEVER, true ) ) {
				continue;
			}
			$value = self::scalar( $field['value'] ?? null );
			if ( '' === $value ) {
				continue;
			}
			$target = $this->target( $field, $type, $rules, $auto );
			if ( null === $target || 'ignore' === $target ) {
				continue;
			}
			if ( 'name' === $target ) {
				list( $first, $last ) = self::split_name( $value );
				$raw['fn']          ??= $first;
				if ( '' !== $last ) {
					$raw['ln'] ??= $last;
				}
				continue;
			}
			$raw[ $target ] ??= $value;
		}//end foreach

		if ( $auto && ! isset( $raw['em'] ) ) {
			foreach ( $fields as $field ) {
				$value = self::scalar( $field['value'] ?? null );
				if ( ! in_array( self::fold( (string) ( $field['type'] ?? '' ) ), self::NEVER, true ) && 1 === preg_match( self::EMAIL_VALUE, $value ) && ! self::ignored( $field, $rules ) ) {
					$raw['em'] = $value;
					break;
				}
			}
		}
		return array_filter( $raw, static fn( string $v ): bool => '' !== $v );
	}

	/**
	 * The target for one field, or null.
	 *
	 * @param array<string, mixed>  $field Field.
	 * @param string                $type  Folded type.
	 * @param array<string, string> $rules Folded rule key => target.
	 * @param bool                  $auto  Automatic detection.
	 * @return string|null
	 */
	private function target( array $field, string $type, array $rules, bool $auto ): ?string {
		foreach ( array( self::fold( (string) ( $field['name'] ?? '' ) ), self::fold( (string) ( $field['label'] ?? '' ) ), '' === $type ? '' : 'type:' . $type ) as $key ) {
			if ( '' !== $key && isset( $rules[ $key ] ) ) {
				return $rules[ $key ];
			}
		}
		if ( ! $auto ) {
			return null;
		}
		if ( isset( self::BY_TYPE[ $type ] ) ) {
			return self::BY_TYPE[ $type ];
		}
		foreach ( array( (string) ( $field['name'] ?? '' ), (string) ( $field['label'] ?? '' ) ) as $text ) {
			$text = trim( $text );
			if ( '' === $text ) {
				continue;
			}
			foreach ( self::BY_NAME as $pattern => $target ) {
				if ( 1 === preg_match( $pattern, $text ) ) {
					return $target;
				}
			}
		}
		return null;
	}

	/**
	 * Whether an explicit rule says "ignore" for this field.
	 *
	 * @param array<string, mixed>  $field Field.
	 * @param array<string, string> $rules Rules.
	 * @return bool
	 */
	private static function ignored( array $field, array $rules ): bool {
		$type = self::fold( (string) ( $field['type'] ?? '' ) );
		foreach ( array( self::fold( (string) ( $field['name'] ?? '' ) ), self::fold( (string) ( $field['label'] ?? '' ) ), 'type:' . $type ) as $key ) {
			if ( isset( $rules[ $key ] ) ) {
				return 'ignore' === $rules[ $key ];
			}
		}
		return false;
	}

	/**
	 * "Jane van der Berg" → ["Jane", "Berg"]: first and last word (middle names are not sent).
	 *
	 * @param string $value Full name.
	 * @return array{0: string, 1: string}
	 */
	public static function split_name( string $value ): array {
		$words = preg_split( '/\s+/u', trim( $value ), -1, PREG_SPLIT_NO_EMPTY );
		$words = is_array( $words ) ? $words : array();
		if ( array() === $words ) {
			return array( '', '' );
		}
		$first = (string) array_shift( $words );
		return array( $first, array() === $words ? '' : (string) end( $words ) );
	}

	/**
	 * A field value as one string: the first non-empty scalar of a list (checkboxes, multi-part
	 * values); '' for anything else.
	 *
	 * @param mixed $value Value.
	 * @return string
	 */
	private static function scalar( $value ): string {
		if ( is_array( $value ) ) {
			foreach ( $value as $item ) {
				$item = self::scalar( $item );
				if ( '' !== $item ) {
					return $item;
				}
			}
			return '';
		}
		return is_scalar( $value ) && ! is_bool( $value ) ? trim( (string) $value ) : '';
	}

	/**
	 * Case-folded, trimmed key for rule matching.
	 *
	 * @param string $key Key.
	 * @return string
	 */
	private static function fold( string $key ): string {
		return mb_strtolower( trim( $key ), 'UTF-8' );
	}
}
