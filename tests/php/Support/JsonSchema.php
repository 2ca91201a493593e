<?php
/**
 * A small JSON Schema validator for the tests.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Support;

/**
 * Validates decoded JSON (objects as stdClass, so `{}` and `[]` stay distinct) against the
 * relay's generated schema, relay/schema/event.schema.json. No JSON Schema library is
 * installable here, so this implements exactly the keywords that schema uses — and refuses any
 * other keyword, so a schema change cannot make the PHP tests pass by being ignored.
 */
final class JsonSchema {

	private const ANNOTATIONS = array( '$schema', '$id', 'title', 'description', 'default' );

	private const KEYWORDS = array(
		'type',
		'properties',
		'required',
		'additionalProperties',
		'propertyNames',
		'enum',
		'const',
		'pattern',
		'anyOf',
		'minLength',
		'maxLength',
		'minimum',
		'maximum',
		'exclusiveMinimum',
		'exclusiveMaximum',
		'items',
		'minItems',
		'maxItems',
		'format',
		'$ref',
		'$defs',
	);

	/**
	 * Root schema.
	 *
	 * @var \stdClass
	 */
	private \stdClass $root;

	/**
	 * Constructor.
	 *
	 * @param \stdClass $root Decoded schema.
	 */
	public function __construct( \stdClass $root ) {
		$this->root = $root;
	}

	/**
	 * Loads the relay's event schema.
	 *
	 * @return self
	 */
	public static function event_schema(): self {
		$file = dirname( __DIR__, 3 ) . '/relay/schema/event.schema.json';
		$json = json_decode( (string) file_get_contents( $file ), false, 512, JSON_THROW_ON_ERROR );
		if ( ! $json instanceof \stdClass ) {
			throw new \RuntimeException( "$file is not a JSON object" );
		}
		return new self( $json );
	}

	/**
	 * Problems found in $value against the root schema or a `#/$defs/…` pointer.
	 *
	 * @param mixed  $value   Decoded JSON (json_decode without assoc).
	 * @param string $pointer '#' or '#/$defs/name'.
	 * @return string[] Empty when valid.
	 */
	public function errors( $value, string $pointer = '#' ): array {
		$errors = array();
		$this->check( $this->resolve( $pointer ), $value, '$', $errors );
		return $errors;
	}

	/**
	 * Resolves a local reference.
	 *
	 * @param string $ref Reference.
	 * @return \stdClass|bool
	 */
	private function resolve( string $ref ) {
		if ( '#' === $ref ) {
			return $this->root;
		}
		if ( 1 !== preg_match( '~^#/\$defs/([A-Za-z0-9_]+)$~', $ref, $m ) || ! isset( $this->root->{'$defs'}->{$m[1]} ) ) {
			throw new \RuntimeException( "unsupported \$ref $ref" );
		}
		return $this->root->{'$defs'}->{$m[1]};
	}

	/**
	 * Validates one value.
	 *
	 * @param \stdClass|bool $schema Schema.
	 * @param mixed          $value  Value.
	 * @param string         $path   Path for messages.
	 * @param string[]       $errors Collected errors.
	 */
	private function check( $schema, $value, string $path, array &$errors ): void {
		if ( is_bool( $schema ) ) {
			if ( ! $schema ) {
				$errors[] = "$path is not allowed";
			}
			return;
		}
		foreach ( array_keys( get_object_vars( $schema ) ) as $keyword ) {
			if ( ! in_array( $keyword, self::KEYWORDS, true ) && ! in_array( $keyword, self::ANNOTATIONS, true ) ) {
				throw new \RuntimeException( "JSON Schema keyword \"$keyword\" at $path is not supported by this test validator: extend it" );
			}
		}
		if ( isset( $schema->{'$ref'} ) ) {
			$this->check( $this->resolve( $schema->{'$ref'} ), $value, $path, $errors );
		}
		if ( isset( $schema->anyOf ) ) {
			$matched = false;
			foreach ( $schema->anyOf as $option ) {
				$sub = array();
				$this->check( $option, $value, $path, $sub );
				if ( array() === $sub ) {
					$matched = true;
					break;
				}
			}
			if ( ! $matched ) {
				$errors[] = "$path matches none of anyOf";
			}
		}
		if ( isset( $schema->type ) && ! $this->has_type( $value, $schema->type ) ) {
			$errors[] = "$path must be of type " . implode( '|', (array) $schema->type );
			return;
		}
		if ( isset( $schema->enum ) && ! in_array( $value, $schema->enum, true ) ) {
			$errors[] = "$path is not one of the allowed values";
		}
		if ( property_exists( $schema, 'const' ) && $value !== $schema->const ) {
			$errors[] = "$path must equal the constant";
		}
		if ( is_string( $value ) ) {
			$this->check_string( $schema, $value, $path, $errors );
		}
		if ( is_int( $value ) || is_float( $value ) ) {
			$this->check_number( $schema, $value, $path, $errors );
		}
		if ( is_array( $value ) ) {
			if ( isset( $schema->minItems ) && count( $value ) < $schema->minItems ) {
				$errors[] = "$path has fewer than {$schema->minItems} items";
			}
			if ( isset( $schema->maxItems ) && count( $value ) > $schema->maxItems ) {
				$errors[] = "$path has more than {$schema->maxItems} items";
			}
			if ( isset( $schema->items ) ) {
				foreach ( $value as $i => $item ) {
					$this->check( $schema->items, $item, "{$path}[$i]", $errors );
				}
			}
		}
		if ( $value instanceof \stdClass ) {
			$this->check_object( $schema, $value, $path, $errors );
		}
	}

	/**
	 * String keywords.
	 *
	 * @param \stdClass $schema Schema.
	 * @param string    $value  Value.
	 * @param string    $path   Path.
	 * @param string[]  $errors Errors.
	 */
	private function check_string( \stdClass $schema, string $value, string $path, array &$errors ): void {
		$length = mb_strlen( $value );
		if ( isset( $schema->minLength ) && $length < $schema->minLength ) {
			$errors[] = "$path is shorter than {$schema->minLength}";
		}
		if ( isset( $schema->maxLength ) && $length > $schema->maxLength ) {
			$errors[] = "$path is longer than {$schema->maxLength}";
		}
		if ( isset( $schema->pattern ) && 1 !== preg_match( '/' . str_replace( '/', '\/', $schema->pattern ) . '/u', $value ) ) {
			$errors[] = "$path does not match {$schema->pattern}";
		}
		if ( isset( $schema->format ) ) {
			$ok = match ( $schema->format ) {
				'uri'   => 1 === preg_match( '/^[A-Za-z][A-Za-z0-9+.-]*:\S*$/', $value ),
				'ipv4'  => false !== filter_var( $value, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4 ),
				'ipv6'  => false !== filter_var( $value, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6 ),
				default => throw new \RuntimeException( "format {$schema->format} is not supported by this test validator" ),
			};
			if ( ! $ok ) {
				$errors[] = "$path is not a valid {$schema->format}";
			}
		}
	}

	/**
	 * Number keywords.
	 *
	 * @param \stdClass $schema Schema.
	 * @param int|float $value  Value.
	 * @param string    $path   Path.
	 * @param string[]  $errors Errors.
	 */
	private function check_number( \stdClass $schema, $value, string $path, array &$errors ): void {
		if ( isset( $schema->minimum ) && $value < $schema->minimum ) {
			$errors[] = "$path is below {$schema->minimum}";
		}
		if ( isset( $schema->maximum ) && $value > $schema->maximum ) {
			$errors[] = "$path is above {$schema->maximum}";
		}
		if ( isset( $schema->exclusiveMinimum ) && $value <= $schema->exclusiveMinimum ) {
			$errors[] = "$path must be greater than {$schema->exclusiveMinimum}";
		}
		if ( isset( $schema->exclusiveMaximum ) && $value >= $schema->exclusiveMaximum ) {
			$errors[] = "$path must be less than {$schema->exclusiveMaximum}";
		}
	}

	/**
	 * Object keywords.
	 *
	 * @param \stdClass $schema Schema.
	 * @param \stdClass $value  Value.
	 * @param string    $path   Path.
	 * @param string[]  $errors Errors.
	 */
	private function check_object( \stdClass $schema, \stdClass $value, string $path, array &$errors ): void {
		$props = get_object_vars( $value );
		foreach ( (array) ( $schema->required ?? array() ) as $name ) {
			if ( ! array_key_exists( $name, $props ) ) {
				$errors[] = "$path.$name is required";
			}
		}
		foreach ( $props as $name => $item ) {
			$name = (string) $name;
			if ( isset( $schema->propertyNames ) ) {
				$this->check( $schema->propertyNames, $name, "$path(name $name)", $errors );
			}
			if ( isset( $schema->properties->{$name} ) ) {
				$this->check( $schema->properties->{$name}, $item, "$path.$name", $errors );
			} elseif ( isset( $schema->additionalProperties ) ) {
				$this->check( $schema->additionalProperties, $item, "$path.$name", $errors );
			}
		}
	}

	/**
	 * JSON type test.
	 *
	 * @param mixed           $value Value.
	 * @param string|string[] $types Type(s).
	 * @return bool
	 */
	private function has_type( $value, $types ): bool {
		foreach ( (array) $types as $type ) {
			$ok = match ( $type ) {
				'object'  => $value instanceof \stdClass,
				'array'   => is_array( $value ) && array_is_list( $value ),
				'string'  => is_string( $value ),
				'integer' => is_int( $value ) || ( is_float( $value ) && floor( $value ) === $value ),
				'number'  => is_int( $value ) || is_float( $value ),
				'boolean' => is_bool( $value ),
				'null'    => null === $value,
				default   => throw new \RuntimeException( "type $type is not supported" ),
			};
			if ( $ok ) {
				return true;
			}
		}
		return false;
	}
}
