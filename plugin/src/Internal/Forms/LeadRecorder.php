<?php
/**
 * Records leads and sign-ups captured on the server.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\TrackedEvents;
use LayerSync\Internal\Identity\Hasher;
use LayerSync\Internal\Privacy\ConsentResolver;
use LayerSync\Internal\Privacy\VisitorId;
use LayerSync\Internal\Settings;

/**
 * Turns one form submission (or account creation) into a canonical server event: the identity
 * fields chosen by FieldMapper are hashed at once — raw values are never stored, logged or
 * passed on — the request's context, browser cookies and consent are added, the event goes
 * through EventRecorder into the outbox, and its id is handed to the browser for pixel
 * deduplication (BrowserHandoff). No network call: this runs on the visitor's submission.
 *
 * @since 0.1.0
 *
 * @phpstan-import-type Field from FieldMapper
 */
final class LeadRecorder {

	/**
	 * Platform cookies copied as click/browser ids (only with consent): cookie => identity key.
	 */
	private const COOKIE_IDS = array(
		'_fbp'      => 'fbp',
		'_fbc'      => 'fbc',
		'_ttp'      => 'ttp',
		'_epik'     => 'epik',
		'_rdt_uuid' => 'rdt_uuid',
		'_twclid'   => 'twclid',
		'li_fat_id' => 'li_fat_id',
	);

	/**
	 * Records events.
	 *
	 * @var EventRecorder
	 */
	private EventRecorder $recorder;

	/**
	 * Server-side consent.
	 *
	 * @var ConsentResolver
	 */
	private ConsentResolver $consent;

	/**
	 * Visitor id cookie.
	 *
	 * @var VisitorId
	 */
	private VisitorId $visitor;

	/**
	 * Per-plugin form settings.
	 *
	 * @var FormsSettings
	 */
	private FormsSettings $forms;

	/**
	 * Site settings (IP anonymization).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Event ids for the browser.
	 *
	 * @var BrowserHandoff
	 */
	private BrowserHandoff $handoff;

	/**
	 * Field mapping.
	 *
	 * @var FieldMapper
	 */
	private FieldMapper $mapper;

	/**
	 * The events the merchant switched on.
	 *
	 * @var TrackedEvents
	 */
	private TrackedEvents $tracked;

	/**
	 * Constructor.
	 *
	 * @param EventRecorder      $recorder Records events.
	 * @param ConsentResolver    $consent  Server-side consent.
	 * @param VisitorId          $visitor  Visitor id cookie.
	 * @param FormsSettings      $forms    Per-plugin form settings.
	 * @param Settings           $settings Site settings.
	 * @param BrowserHandoff     $handoff  Event ids for the browser.
	 * @param TrackedEvents|null $tracked  The events switched on (a default one when null).
	 */
	public function __construct( EventRecorder $recorder, ConsentResolver $consent, VisitorId $visitor, FormsSettings $forms, Settings $settings, BrowserHandoff $handoff, ?TrackedEvents $tracked = null ) {
		$this->recorder = $recorder;
		$this->consent  = $consent;
		$this->visitor  = $visitor;
		$this->forms    = $forms;
		$this->settings = $settings;
		$this->handoff  = $handoff;
		$this->mapper   = new FieldMapper();
		$this->tracked  = $tracked ?? new TrackedEvents();
	}

	/**
	 * The browser handoff (adapters read the recorded ids for their AJAX answers).
	 *
	 * @return BrowserHandoff
	 */
	public function handoff(): BrowserHandoff {
		return $this->handoff;
	}

	/**
	 * Records a `lead` for one form submission, unless leads are switched off (Events screen),
	 * the plugin is disabled or the form excluded in the settings.
	 *
	 * @param string                           $plugin     FormsSettings plugin slug.
	 * @param string                           $form_id    The form's id in its plugin.
	 * @param string                           $form_title The form's title ('' when unknown).
	 * @param array<int, array<string, mixed>> $fields     Submitted fields: name, label, type, value.
	 * @phpstan-param list<Field> $fields
	 * @param string|null                      $event_id   Id reserved earlier in the request, or null for a new UUIDv7.
	 * @return string|null The event id recorded (or found already recorded), or null.
	 */
	public function record_form( string $plugin, string $form_id, string $form_title, array $fields, ?string $event_id = null ): ?string {
		if ( ! $this->tracked->is_tracked( 'lead' ) ) {
			return null;
		}
		$config = $this->forms->for_plugin( $plugin );
		if ( ! $config['enabled'] || in_array( $form_id, $config['exclude'], true ) ) {
			return null;
		}
		$raw = $this->mapper->map( $fields, $config );

		/**
		 * Filters the identifiers taken from a lead-form submission, before they are hashed.
		 *
		 * Keys are contract keys (em, ph, fn, ln, ct, st, zp, country, ge, db) and values the raw
		 * submitted text. They are hashed right after this filter and never stored or logged raw.
		 * Return an empty array to send the lead without identifiers.
		 *
		 * @since 0.1.0
		 *
		 * @param array<string, string>            $raw     Raw identifiers found by the field rules.
		 * @param string                           $plugin  cf7, wpforms, ninja_forms or formidable.
		 * @param string                           $form_id The form's id in its plugin.
		 * @param array<int, array<string, mixed>> $fields  Submitted fields (name, label, type, value).
		 */
		$raw = apply_filters( 'layersync_form_identity', $raw, $plugin, $form_id, $fields );

		$properties = array(
			'form_plugin' => $plugin,
			'form_id'     => $form_id,
		);
		$title      = trim( wp_strip_all_tags( $form_title ) );
		if ( '' !== $title && ! str_contains( $title, '@' ) ) {
			$properties['form_name'] = mb_substr( $title, 0, 256 );
		}
		return $this->record( 'lead', is_array( $raw ) ? $raw : array(), $properties, $plugin . ':' . $form_id, $event_id );
	}

	/**
	 * Records one server event for the visitor of this request.
	 *
	 * @param string                               $event_name Event name (lead, sign_up…).
	 * @param array<mixed>                         $raw        Raw identifiers keyed by contract key.
	 * @param array<string, string|int|float|bool> $properties Event properties (no personal data).
	 * @param string                               $source     Handoff source, e.g. "cf7:12".
	 * @param string|null                          $event_id   Reserved id, or null for a new UUIDv7.
	 * @return string|null The event id recorded (or already recorded), or null when not recorded.
	 */
	public function record( string $event_name, array $raw, array $properties, string $source, ?string $event_id = null ): ?string {
		if ( ! $this->tracked->is_tracked( $event_name ) ) {
			// Switched off: no consent lookup, no hashing, no visitor cookie.
			return null;
		}
		$consent = $this->consent->current(
			array_merge(
				array( 'event_name' => $event_name ),
				isset( $properties['form_plugin'] ) ? array(
					'form_plugin' => $properties['form_plugin'],
					'form_id'     => $properties['form_id'] ?? '',
				) : array()
			)
		);
		if ( ! $this->consent->allows_recording( $consent ) ) {
			return null;
		}

		$strings = array_filter( $raw, static fn( $v ): bool => is_scalar( $v ) );
		// Built here, not at boot: the calling code comes from WooCommerce, which loads later.
		$hasher   = new Hasher( $this->settings->default_calling_code() );
		$identity = $hasher->hash_identity( array_map( 'strval', $strings ) );
		if ( ConsentResolver::allows_storage( $consent ) ) {
			$visitor = $this->visitor->sync( $consent );
			if ( '' !== $visitor ) {
				$identity['external_id'] = VisitorId::external_id( $visitor );
			}
			$identity = array_merge( $identity, self::cookie_ids() );
		} else {
			$this->visitor->sync( $consent );
		}

		$event_id = null !== $event_id && 1 === preg_match( '/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/', $event_id ) ? $event_id : EventId::uuid7();
		$event    = array(
			'event_id'   => $event_id,
			'event_name' => $event_name,
			'event_time' => time(),
			'source'     => 'server',
			'context'    => $this->context(),
			'identity'   => $identity,
			'consent'    => $consent,
			'properties' => $properties,
		);
		$outcome  = $this->recorder->record( $event );
		if ( EventRecorder::QUEUED !== $outcome['status'] && EventRecorder::DUPLICATE !== $outcome['status'] ) {
			return null;
		}
		$this->handoff->add( $source, $event_id, $event_name, $consent );
		return $event_id;
	}

	/**
	 * The submission's context: the page it was sent from (the referrer of the submit
	 * request), the visitor's address (anonymized when the site says so), browser and locale.
	 *
	 * @return array<string, string|bool>
	 */
	private function context(): array {
		$context = array();
		$page    = wp_get_raw_referer();
		if ( is_string( $page ) && '' !== $page && 1 === preg_match( '#^https?://#i', $page ) && strlen( $page ) <= 2048 ) {
			$context['url'] = esc_url_raw( $page );
		}
		$remote = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';

		/** This filter is documented in plugin/src/Internal/Rest/EventsController.php */
		$ip = apply_filters( 'layersync_client_ip', $remote, null );
		$ip = is_string( $ip ) ? filter_var( trim( $ip ), FILTER_VALIDATE_IP ) : false;
		if ( is_string( $ip ) ) {
			$anonymize                = $this->settings->anonymize_ip();
			$context['ip']            = $anonymize ? (string) wp_privacy_anonymize_ip( $ip ) : $ip;
			$context['ip_anonymized'] = $anonymize;
		}
		$agent = isset( $_SERVER['HTTP_USER_AGENT'] ) ? trim( wp_check_invalid_utf8( sanitize_text_field( wp_unslash( $_SERVER['HTTP_USER_AGENT'] ) ), true ) ) : '';
		if ( '' !== $agent ) {
			$context['user_agent'] = mb_substr( $agent, 0, 512 );
		}
		$locale = str_replace( '_', '-', determine_locale() );
		if ( 1 === preg_match( '/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/', $locale ) ) {
			$context['locale'] = $locale;
		}
		return $context;
	}

	/**
	 * Click and browser ids from the platforms' first-party cookies sent with the submission.
	 *
	 * @return array<string, string>
	 */
	private static function cookie_ids(): array {
		$ids = array();
		foreach ( self::COOKIE_IDS as $cookie => $key ) {
			if ( isset( $_COOKIE[ $cookie ] ) && is_string( $_COOKIE[ $cookie ] ) ) {
				$value = sanitize_text_field( wp_unslash( $_COOKIE[ $cookie ] ) );
				if ( '' !== $value && strlen( $value ) <= 512 ) {
					$ids[ $key ] = $value;
				}
			}
		}
		if ( isset( $_COOKIE['_ga'] ) && is_string( $_COOKIE['_ga'] ) && 1 === preg_match( '/(\d+\.\d+)$/', sanitize_text_field( wp_unslash( $_COOKIE['_ga'] ) ), $m ) ) {
			$ids['ga_client_id'] = $m[1];
		}
		return $ids;
	}
}
