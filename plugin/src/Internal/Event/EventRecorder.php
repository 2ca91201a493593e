<?php
/**
 * Recording of events into the outbox.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Event;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\Priority;

/**
 * The one way an event enters the outbox, whatever recorded it (browser route, WooCommerce
 * hooks, lead forms): extensions may adjust it, it is validated against the contract, stored
 * idempotently by event_id, and a background drain is scheduled. No network call happens here —
 * this runs on visitors' requests.
 *
 * @since 0.1.0
 */
final class EventRecorder {

	public const QUEUED    = 'queued';
	public const DUPLICATE = 'duplicate';
	public const REJECTED  = 'rejected';
	public const ERROR     = 'error';

	/**
	 * Outbox storage.
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Contract validation.
	 *
	 * @var EventValidator
	 */
	private EventValidator $validator;

	/**
	 * Drain scheduling.
	 *
	 * @var DrainScheduler
	 */
	private DrainScheduler $scheduler;

	/**
	 * Constructor.
	 *
	 * @param OutboxRepository $outbox    Outbox storage.
	 * @param EventValidator   $validator Contract validation.
	 * @param DrainScheduler   $scheduler Drain scheduling.
	 */
	public function __construct( OutboxRepository $outbox, EventValidator $validator, DrainScheduler $scheduler ) {
		$this->outbox    = $outbox;
		$this->validator = $validator;
		$this->scheduler = $scheduler;
	}

	/**
	 * Records a complete canonical event (with "source").
	 *
	 * @param array<string, mixed> $event Event.
	 * @return array{status: string, reason: string} status: queued | duplicate | rejected | error.
	 */
	public function record( array $event ): array {
		$source = isset( $event['source'] ) && is_string( $event['source'] ) ? $event['source'] : '';

		/**
		 * Filters an event before it is validated and stored in the outbox.
		 *
		 * Return the (modified) event, or false to drop it. The result is validated again against
		 * the contract, so identifiers must stay SHA-256 hashes: use the LayerSync hasher, never
		 * add raw personal data.
		 *
		 * @since 0.1.0
		 *
		 * @param array<string, mixed>|false $event  Canonical event.
		 * @param string                     $source "browser", "server", "webhook" or "sdk".
		 */
		$event = apply_filters( 'layersync_event_payload', $event, $source );
		if ( false === $event ) {
			return self::outcome( self::REJECTED, 'dropped by a layersync_event_payload filter' );
		}

		$result = $this->validator->validate( $event, time() );
		if ( ! $result->is_valid() ) {
			return self::outcome( self::REJECTED, $result->reason() );
		}
		$event = $result->event;

		/**
		 * Fires just before a valid event is written to the outbox.
		 *
		 * @since 0.1.0
		 *
		 * @param array<string, mixed> $event Canonical event, as it will be stored and sent.
		 */
		do_action( 'layersync_event_before_enqueue', $event );

		try {
			$payload = EventJson::encode( $event );
		} catch ( \JsonException $e ) {
			return self::outcome( self::REJECTED, 'the event cannot be encoded as JSON (invalid UTF-8?)' );
		}

		$name     = (string) $event['event_name'];
		$priority = Priority::for_event( $name );
		$inserted = $this->insert_quietly( (string) $event['event_id'], $name, $priority, $payload );
		if ( null === $inserted ) {
			return self::outcome( self::ERROR, 'the event could not be stored; try again later' );
		}
		if ( ! $inserted ) {
			return self::outcome( self::DUPLICATE, '' );
		}
		$this->scheduler->schedule_soon();
		return self::outcome( self::QUEUED, '' );
	}

	/**
	 * Inserts with wpdb's own error output suppressed: it would log the full query, visitor data
	 * included. A short line without any event content is logged instead.
	 *
	 * @param string $event_id Event id.
	 * @param string $name     Event name.
	 * @param int    $priority Priority.
	 * @param string $payload  JSON.
	 * @return bool|null See OutboxRepository::insert().
	 */
	private function insert_quietly( string $event_id, string $name, int $priority, string $payload ): ?bool {
		global $wpdb;
		$suppressed = $wpdb->suppress_errors( true );
		try {
			$inserted = $this->outbox->insert( $event_id, $name, $priority, $payload, time(), Priority::retention_seconds( $priority ) );
		} finally {
			$wpdb->suppress_errors( $suppressed );
		}
		if ( null === $inserted ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- never fail silently; the line names no event content.
			error_log( sprintf( 'LayerSync: could not store a "%s" event (%d bytes) in the outbox table; the database refused the insert. Is the table there (reactivate the plugin)?', $name, strlen( $payload ) ) );
		}
		return $inserted;
	}

	/**
	 * Outcome shape.
	 *
	 * @param string $status Status.
	 * @param string $reason Reason ('' when none).
	 * @return array{status: string, reason: string}
	 */
	private static function outcome( string $status, string $reason ): array {
		return array(
			'status' => $status,
			'reason' => $reason,
		);
	}
}
