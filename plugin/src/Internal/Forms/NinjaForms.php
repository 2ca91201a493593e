<?php
/**
 * Ninja Forms leads.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

use LayerSync\Internal\Event\EventId;

/**
 * A Ninja Forms submission (`ninja_forms_after_submission` with $form_data: form_id, settings,
 * fields — each with id, key, type, label, value — and extra) records a `lead`.
 *
 * Browser: Ninja Forms has no filter on its AJAX answer, but it echoes the submission's `extra`
 * data back. So the event id is reserved before processing (`ninja_forms_submit_data` sets
 * `extra.layersync_event_id`, overwriting anything the client sent), used for the lead, and
 * returned to the page as `response.data.extra.layersync_event_id` — the tracker reads it on
 * `nfRadio.channel('forms')` "submit:response". Previews record nothing.
 *
 * @since 0.1.0
 */
final class NinjaForms {

	public const EXTRA_KEY = 'layersync_event_id';

	/**
	 * Records leads.
	 *
	 * @var LeadRecorder
	 */
	private LeadRecorder $leads;

	/**
	 * Constructor.
	 *
	 * @param LeadRecorder $leads Records leads.
	 */
	public function __construct( LeadRecorder $leads ) {
		$this->leads = $leads;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_filter( 'ninja_forms_submit_data', array( $this, 'reserve_event_id' ) );
		add_action( 'ninja_forms_after_submission', array( $this, 'on_submission' ) );
	}

	/**
	 * `ninja_forms_submit_data`: reserves the lead's event id in the submission's extra data.
	 *
	 * @param mixed $form_data Submitted form data.
	 * @return mixed
	 */
	public function reserve_event_id( $form_data ) {
		if ( ! is_array( $form_data ) ) {
			return $form_data;
		}
		$extra                    = isset( $form_data['extra'] ) && is_array( $form_data['extra'] ) ? $form_data['extra'] : array();
		$extra[ self::EXTRA_KEY ] = EventId::uuid7();
		$form_data['extra']       = $extra;
		return $form_data;
	}

	/**
	 * `ninja_forms_after_submission`: records the lead.
	 *
	 * @param mixed $form_data Processed submission.
	 */
	public function on_submission( $form_data ): void {
		if ( ! is_array( $form_data ) || ! isset( $form_data['form_id'] ) || ! empty( $form_data['settings']['is_preview'] ) ) {
			return;
		}
		$fields = array();
		foreach ( isset( $form_data['fields'] ) && is_array( $form_data['fields'] ) ? $form_data['fields'] : array() as $field ) {
			if ( ! is_array( $field ) ) {
				continue;
			}
			$fields[] = array(
				'name'  => is_scalar( $field['key'] ?? null ) ? (string) $field['key'] : (string) ( $field['id'] ?? '' ),
				'label' => is_scalar( $field['label'] ?? null ) ? (string) $field['label'] : '',
				'type'  => is_scalar( $field['type'] ?? null ) ? (string) $field['type'] : '',
				'value' => $field['value'] ?? '',
			);
		}
		$reserved = $form_data['extra'][ self::EXTRA_KEY ] ?? null;
		$title    = isset( $form_data['settings']['title'] ) && is_scalar( $form_data['settings']['title'] ) ? (string) $form_data['settings']['title'] : '';
		$this->leads->record_form(
			FormsSettings::NINJA_FORMS,
			(string) $form_data['form_id'],
			$title,
			$fields,
			is_string( $reserved ) && 1 === preg_match( EventId::UUID7_PATTERN, $reserved ) ? $reserved : null
		);
	}
}
