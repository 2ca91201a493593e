<?php
/**
 * Outcome of validating one event.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Event;

/**
 * The normalized event (only meaningful when valid) and the readable problems found.
 *
 * @since 0.1.0
 */
final class ValidationResult {

	/**
	 * Normalized event: known fields only, in contract order, empty optional objects left out.
	 *
	 * @var array<string, mixed>
	 */
	public readonly array $event;

	/**
	 * Readable problems, each naming the field ("identity.em must be …"). Never contains values.
	 *
	 * @var string[]
	 */
	public readonly array $errors;

	/**
	 * Constructor.
	 *
	 * @param array<string, mixed> $event  Normalized event.
	 * @param string[]             $errors Problems found.
	 */
	public function __construct( array $event, array $errors ) {
		$this->event  = $event;
		$this->errors = $errors;
	}

	/**
	 * Whether the event can be stored.
	 *
	 * @return bool
	 */
	public function is_valid(): bool {
		return array() === $this->errors;
	}

	/**
	 * All problems in one sentence, for API answers and the outbox's last_error.
	 *
	 * @return string
	 */
	public function reason(): string {
		return implode( '; ', $this->errors );
	}
}
