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
use LayerSync\Internal\Privacy\ConsentResolver;

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
	 * Consent for events without a snapshot, and the site's privacy switches (null: neither).
	 *
	 * @var ConsentResolver|null
	 */
	private ?ConsentResolver $consent;

	/**
	 * The events the merchant switched on (null: every event is recorded).
	 *
	 * @var TrackedEvents|null
	 */
	private ?TrackedEvents $tracked;

	/**
	 * Constructor.
	 *
	 * @param OutboxRepository     $outbox    Outbox storage.
	 * @param EventValidator       $validator Contract validation.
	 * @param DrainScheduler       $scheduler Drain scheduling.
	 * @param ConsentResolver|null $consent   Gives events without a consent snapshot the
	 *                                        server's, and applies Do-Not-Sell / Limited Data Use.
	 * @param TrackedEvents|null   $tracked   Refuses events the merchant switched off (Events
	 *                                        screen); null records every event.
	 */
	public function __construct( OutboxRepository $outbox, EventValidator $validator, DrainScheduler $scheduler, ?ConsentResolver $consent = null, ?TrackedEvents $tracked = null ) {
		$this->outbox    = $outbox;
		$this->validator = $validator;
		$this->scheduler = $scheduler;
		$this->consent   = $consent;
		$this->tracked   = $tracked;
	}

	/**
	 * Records a complete canonical event (with "source").
	 *
	 * @param array<string, mixed> $event Event.
	 * @return array{status: string, reason: string} status: queued | duplicate | rejected | error.
	 */
	public function record( array $event ): array {
		$source = isset( $event['source'] ) && is_string( $event['source'] ) ? $event['source'] : '';
		$name   = isset( $event['event_name'] ) && is_string( $event['event_name'] ) ? $event['event_name'] : '';
		if ( null !== $this->tracked && '' !== $name && ! $this->tracked->is_tracked( $name ) ) {
			// A page cached before the event was switched off may still send it.
			return self::outcome( self::REJECTED, sprintf( '%s events are switched off on this site (LayerSync → Events)', $name ) );
		}

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
		if ( ! is_array( $event ) ) {
			return self::outcome( self::REJECTED, 'a layersync_event_payload filter returned neither an event nor false' );
		}
		$event = $this->with_consent( $event );

		$result = $this->validator->validate( $event, time() );
		if ( ! $result->is_valid() ) {
			return self::outcome( self::REJECTED, $result->reason() );
		}
		$event = $result->event;

		/**
		 * Filters a valid event just before it is written to the outbox; return false to drop it.
		 *
		 * Runs after validation, with the event exactly as it will be stored and sent (consent
		 * snapshot included). Use it to decide whether to keep an event; to change one, prefer
		 * `layersync_event_payload`. A changed event is validated again.
		 *
		 * @since 0.1.0
		 *
		 * @param array<string, mixed> $event  Canonical event, as it will be stored and sent.
		 * @param string               $source "browser", "server", "webhook" or "sdk".
		 */
		$filtered = apply_filters( 'layersync_event_before_enqueue', $event, $source );
		if ( false === $filtered ) {
			return self::outcome( self::REJECTED, 'dropped by a layersync_event_before_enqueue filter' );
		}
		if ( $filtered !== $event ) {
			$again = is_array( $filtered ) ? $this->validator->validate( $filtered, time() ) : null;
			if ( null === $again || ! $again->is_valid() ) {
				return self::outcome( self::REJECTED, 'a layersync_event_before_enqueue filter made the event invalid: ' . ( null === $again ? 'it returned neither an event nor false' : $again->reason() ) );
			}
			$event = $again->event;
		}

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
	 * Gives an event without a consent snapshot the server's, and applies the site's privacy
	 * switches to every snapshot. A malformed snapshot is left for validation to report.
	 *
	 * @param array<mixed> $event Event.
	 * @return array<mixed>
	 */
	private function with_consent( array $event ): array {
		if ( null === $this->consent ) {
			return $event;
		}
		if ( ! isset( $event['consent'] ) ) {
			$event['consent'] = $this->consent->current( array( 'event_name' => $event['event_name'] ?? '' ) );
		} elseif ( is_array( $event['consent'] ) ) {
			$event['consent'] = $this->consent->apply_site_policy( $event['consent'] );
		}
		return $event;
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
