<?php
/**
 * WordPress personal-data export and erasure for what LayerSync holds.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Privacy;

use LayerSync\Internal\Identity\Hasher;
use LayerSync\Internal\Outbox\Backoff;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Relay\RelayResponse;
use LayerSync\Internal\Settings;

/**
 * Registers with Tools → Export / Erase Personal Data.
 *
 * LayerSync never stores raw personal data, only SHA-256 hashes; a request for an email
 * address is matched by hashing it the way events were hashed (em and its Google/Reddit
 * variants; ph and ph_e164 too when a user with that email has a billing phone).
 *
 * - Export: every outbox row whose payload carries one of those hashes (event, time, status,
 *   the stored JSON).
 * - Erase: deletes those rows, then asks the relay to delete what it holds for the same hashes
 *   (`POST {relay}/v1/privacy/delete`, signed with the site secret like ingest — see
 *   docs/CONTRACT.md). When the relay cannot be reached the request is kept (hashes only) and
 *   retried in the background with backoff for up to 30 days; the eraser says so.
 *
 * @since 0.1.0
 */
final class PersonalData {

	/**
	 * Deletion requests the relay has not confirmed yet: list of {identifiers, attempts,
	 * next_at, added, last_error}.
	 */
	public const OPTION_PENDING = 'layersync_privacy_pending';

	/**
	 * WP-Cron hook retrying them.
	 */
	public const RETRY_HOOK = 'layersync_privacy_delete_retry';

	public const PAGE_SIZE = 100;

	private const ERASE_BATCH = 500;

	private const MAX_PENDING = 200;

	private const GIVE_UP_AFTER = 30 * 86400;

	/**
	 * Outbox.
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Relay client.
	 *
	 * @var RelayClient
	 */
	private RelayClient $relay;

	/**
	 * Settings (is a relay configured?).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Constructor.
	 *
	 * @param OutboxRepository $outbox   Outbox.
	 * @param RelayClient      $relay    Relay client.
	 * @param Settings         $settings Settings (relay connection, calling code for phones).
	 */
	public function __construct( OutboxRepository $outbox, RelayClient $relay, Settings $settings ) {
		$this->outbox   = $outbox;
		$this->relay    = $relay;
		$this->settings = $settings;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_filter( 'wp_privacy_personal_data_exporters', array( $this, 'register_exporter' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( $this, 'register_eraser' ) );
		add_action( self::RETRY_HOOK, array( $this, 'retry_pending' ) );
	}

	/**
	 * Adds the exporter.
	 *
	 * @param mixed $exporters Registered exporters.
	 * @return mixed
	 */
	public function register_exporter( $exporters ) {
		if ( ! is_array( $exporters ) ) {
			return $exporters;
		}
		$exporters['layersync'] = array(
			'exporter_friendly_name' => __( 'LayerSync conversion events', 'layersync' ),
			'callback'               => array( $this, 'export' ),
		);
		return $exporters;
	}

	/**
	 * Adds the eraser.
	 *
	 * @param mixed $erasers Registered erasers.
	 * @return mixed
	 */
	public function register_eraser( $erasers ) {
		if ( ! is_array( $erasers ) ) {
			return $erasers;
		}
		$erasers['layersync'] = array(
			'eraser_friendly_name' => __( 'LayerSync conversion events', 'layersync' ),
			'callback'             => array( $this, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * The hashes an email address (and the phone of a user with it) appears as in events.
	 *
	 * @param string $email Email address.
	 * @return array<string, string> Identity key => SHA-256 hex.
	 */
	public function identity_hashes( string $email ): array {
		$raw  = array( 'em' => $email );
		$user = get_user_by( 'email', $email );
		if ( false !== $user ) {
			$phone = get_user_meta( $user->ID, 'billing_phone', true );
			if ( is_string( $phone ) && '' !== trim( $phone ) ) {
				$raw['ph'] = $phone;
			}
		}
		return ( new Hasher( $this->settings->default_calling_code() ) )->hash_identity( $raw );
	}

	/**
	 * Exporter callback: one page of outbox rows for this person.
	 *
	 * @param string $email Email address.
	 * @param int    $page  Page, from 1.
	 * @return array{data: list<array<string, mixed>>, done: bool}
	 */
	public function export( $email, $page = 1 ): array {
		$hashes = $this->identity_hashes( (string) $email );
		$page   = max( 1, (int) $page );
		$rows   = array() === $hashes ? array() : $this->outbox->find_by_identity( $hashes, ( $page - 1 ) * self::PAGE_SIZE, self::PAGE_SIZE );
		$data   = array();
		foreach ( $rows as $row ) {
			$data[] = array(
				'group_id'          => 'layersync-events',
				'group_label'       => __( 'Conversion events (LayerSync)', 'layersync' ),
				'group_description' => __( 'Events recorded for delivery to the site\'s LayerSync relay. Personal data appears only as SHA-256 hashes.', 'layersync' ),
				'item_id'           => 'layersync-event-' . (string) $row['id'],
				'data'              => array(
					array(
						'name'  => __( 'Event', 'layersync' ),
						'value' => (string) $row['event_name'],
					),
					array(
						'name'  => __( 'Event id', 'layersync' ),
						'value' => (string) $row['event_id'],
					),
					array(
						'name'  => __( 'Recorded (UTC)', 'layersync' ),
						'value' => (string) $row['created_at'],
					),
					array(
						'name'  => __( 'Delivery status', 'layersync' ),
						'value' => (string) $row['status'],
					),
					array(
						'name'  => __( 'Stored event', 'layersync' ),
						'value' => (string) $row['payload'],
					),
				),
			);
		}//end foreach
		return array(
			'data' => $data,
			'done' => count( $rows ) < self::PAGE_SIZE,
		);
	}

	/**
	 * Eraser callback: deletes the person's outbox rows; on the first page also asks the relay
	 * to delete what it holds.
	 *
	 * @param string $email Email address.
	 * @param int    $page  Page, from 1.
	 * @return array{items_removed: bool, items_retained: bool, messages: list<string>, done: bool}
	 */
	public function erase( $email, $page = 1 ): array {
		$hashes   = $this->identity_hashes( (string) $email );
		$deleted  = array() === $hashes ? 0 : $this->outbox->delete_by_identity( $hashes, self::ERASE_BATCH );
		$done     = $deleted < self::ERASE_BATCH;
		$messages = array();
		$retained = false;
		$removed  = $deleted > 0;
		if ( 1 === (int) $page && array() !== $hashes ) {
			list( $ok, $message ) = $this->ask_relay( self::relay_identifiers( $hashes ) );
			$messages[]           = $message;
			$retained             = ! $ok;
		}
		return array(
			'items_removed'  => $removed,
			'items_retained' => $retained,
			'messages'       => $messages,
			'done'           => $done,
		);
	}

	/**
	 * Retries the deletions the relay has not confirmed (WP-Cron).
	 *
	 * @return int Requests confirmed in this run.
	 */
	public function retry_pending(): int {
		$pending   = self::pending();
		$now       = time();
		$confirmed = 0;
		$keep      = array();
		foreach ( $pending as $request ) {
			if ( $request['next_at'] > $now ) {
				$keep[] = $request;
				continue;
			}
			$response = $this->relay->delete_personal_data( $request['identifiers'] );
			if ( self::confirmed( $response ) ) {
				++$confirmed;
				continue;
			}
			++$request['attempts'];
			$request['last_error'] = $response->describe();
			$request['next_at']    = $now + Backoff::delay( $request['attempts'], $response->retry_after );
			if ( $now - $request['added'] > self::GIVE_UP_AFTER ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- never fail silently; only the reason is logged.
				error_log( 'LayerSync: gave up asking the relay to delete a person\'s data after 30 days (' . $request['last_error'] . '). Delete it at the relay by hand (relay CLI).' );
				continue;
			}
			$keep[] = $request;
		}
		$this->save_pending( $keep );
		return $confirmed;
	}

	/**
	 * Deletion requests waiting for the relay.
	 *
	 * @return list<array{identifiers: array{external_id?: string, em?: string, ph?: string}, attempts: int, next_at: int, added: int, last_error: string}>
	 */
	public static function pending(): array {
		$stored = get_option( self::OPTION_PENDING, array() );
		$out    = array();
		foreach ( is_array( $stored ) ? $stored : array() as $request ) {
			if ( ! is_array( $request ) || ! isset( $request['identifiers'] ) || ! is_array( $request['identifiers'] ) ) {
				continue;
			}
			$out[] = array(
				'identifiers' => self::relay_identifiers( $request['identifiers'] ),
				'attempts'    => (int) ( $request['attempts'] ?? 0 ),
				'next_at'     => (int) ( $request['next_at'] ?? 0 ),
				'added'       => (int) ( $request['added'] ?? time() ),
				'last_error'  => (string) ( $request['last_error'] ?? '' ),
			);
		}
		return $out;
	}

	/**
	 * Asks the relay once; keeps the request for a retry when it fails for a reason that may pass.
	 *
	 * @param array{external_id?: string, em?: string, ph?: string} $identifiers Hashes.
	 * @return array{0: bool, 1: string} Whether the relay confirmed, and a message for the admin.
	 */
	private function ask_relay( array $identifiers ): array {
		if ( ! $this->settings->is_connected() ) {
			return array( true, __( 'LayerSync is not connected to a relay, so no copy is held there.', 'layersync' ) );
		}
		$response = $this->relay->delete_personal_data( $identifiers );
		if ( self::confirmed( $response ) ) {
			$deleted = is_array( $response->body ) && isset( $response->body['deleted'] ) && is_int( $response->body['deleted'] ) ? $response->body['deleted'] : null;
			return array(
				true,
				null === $deleted
					? __( 'The LayerSync relay deleted the events it held for this person.', 'layersync' )
					/* translators: %d: number of events */
					: sprintf( _n( 'The LayerSync relay deleted %d event it held for this person.', 'The LayerSync relay deleted %d events it held for this person.', $deleted, 'layersync' ), $deleted ),
			);
		}
		$this->queue( $identifiers, $response );
		return array(
			false,
			sprintf(
				/* translators: %s: what the relay answered */
				__( 'The LayerSync relay could not delete its copy yet (%s). LayerSync will keep asking in the background for 30 days; check Tools → Site Health.', 'layersync' ),
				$response->describe()
			),
		);
	}

	/**
	 * Keeps a request for a later retry and schedules it.
	 *
	 * @param array{external_id?: string, em?: string, ph?: string} $identifiers Hashes.
	 * @param RelayResponse                                         $response    The failed answer.
	 */
	private function queue( array $identifiers, RelayResponse $response ): void {
		$pending   = self::pending();
		$next      = time() + Backoff::delay( 1, $response->retry_after );
		$pending[] = array(
			'identifiers' => $identifiers,
			'attempts'    => 1,
			'next_at'     => $next,
			'added'       => time(),
			'last_error'  => $response->describe(),
		);
		$this->save_pending( array_slice( $pending, -self::MAX_PENDING ) );
	}

	/**
	 * Saves the pending list and schedules the next retry (or clears it when empty).
	 *
	 * @param list<array{identifiers: array{external_id?: string, em?: string, ph?: string}, attempts: int, next_at: int, added: int, last_error: string}> $pending Requests.
	 */
	private function save_pending( array $pending ): void {
		wp_clear_scheduled_hook( self::RETRY_HOOK );
		if ( array() === $pending ) {
			delete_option( self::OPTION_PENDING );
			return;
		}
		update_option( self::OPTION_PENDING, $pending, false );
		wp_schedule_single_event( max( time(), min( array_column( $pending, 'next_at' ) ) ), self::RETRY_HOOK );
	}

	/**
	 * Whether the relay confirmed the deletion (any 2xx).
	 *
	 * @param RelayResponse $response Answer.
	 * @return bool
	 */
	private static function confirmed( RelayResponse $response ): bool {
		return $response->status >= 200 && $response->status < 300;
	}

	/**
	 * The identifiers the relay's privacy delete takes: external_id, em, ph (well-formed only).
	 *
	 * @param array<mixed> $hashes Identity key => SHA-256 hex.
	 * @return array{external_id?: string, em?: string, ph?: string}
	 */
	private static function relay_identifiers( array $hashes ): array {
		$out = array();
		foreach ( array( 'external_id', 'em', 'ph' ) as $key ) {
			if ( isset( $hashes[ $key ] ) && is_string( $hashes[ $key ] ) && 1 === preg_match( '/^[a-f0-9]{64}$/', $hashes[ $key ] ) ) {
				$out[ $key ] = $hashes[ $key ];
			}
		}
		return $out;
	}
}
