<?php
/**
 * WPForms leads.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

/**
 * A completed WPForms submission (`wpforms_process_complete`: $fields, $entry, $form_data,
 * $entry_id — after validation and spam checks) records a `lead`. Each field brings its id, its
 * label (`name`), its `type` (email, phone, name…) and `value`; a name field in first/last
 * format brings `first` and `last`.
 *
 * Browser: the AJAX answer — `wpforms_ajax_submit_success_response`, and
 * `wpforms_ajax_submit_redirect` when the form redirects — gets
 * `"layersync": {"event_id", "event_name"}`; the tracker reads it from the jQuery event
 * `wpformsAjaxSubmitSuccess` as `json.data.layersync`.
 *
 * @since 0.1.0
 */
final class WPForms {

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
		add_action( 'wpforms_process_complete', array( $this, 'on_complete' ), 10, 4 );
		add_filter( 'wpforms_ajax_submit_success_response', array( $this, 'ajax_response' ), 10, 2 );
		add_filter( 'wpforms_ajax_submit_redirect', array( $this, 'ajax_response' ), 10, 2 );
	}

	/**
	 * `wpforms_process_complete`: records the lead.
	 *
	 * @param mixed $fields    Processed fields keyed by field id.
	 * @param mixed $entry     Raw entry.
	 * @param mixed $form_data Form settings and fields.
	 * @param mixed $entry_id  Entry id (0 when entries are not stored).
	 */
	public function on_complete( $fields, $entry, $form_data, $entry_id = 0 ): void {
		if ( ! is_array( $fields ) || ! is_array( $form_data ) || ! isset( $form_data['id'] ) ) {
			return;
		}
		$out = array();
		foreach ( $fields as $id => $field ) {
			if ( ! is_array( $field ) ) {
				continue;
			}
			$name  = (string) ( $field['id'] ?? $id );
			$label = is_scalar( $field['name'] ?? null ) ? (string) $field['name'] : '';
			$type  = is_scalar( $field['type'] ?? null ) ? (string) $field['type'] : '';
			if ( 'name' === $type && ( ! empty( $field['first'] ) || ! empty( $field['last'] ) ) ) {
				foreach ( array( 'first', 'last' ) as $part ) {
					$out[] = array(
						'name'  => $name . '.' . $part,
						'label' => $label,
						'type'  => 'name_' . $part,
						'value' => $field[ $part ] ?? '',
					);
				}
				continue;
			}
			$out[] = array(
				'name'  => $name,
				'label' => $label,
				'type'  => $type,
				'value' => $field['value'] ?? '',
			);
		}//end foreach
		$title = isset( $form_data['settings']['form_title'] ) && is_scalar( $form_data['settings']['form_title'] ) ? (string) $form_data['settings']['form_title'] : '';
		$this->leads->record_form( FormsSettings::WPFORMS, (string) $form_data['id'], $title, $out );
	}

	/**
	 * Adds the lead's event id to WPForms' AJAX answer (success or redirect).
	 *
	 * @param mixed $response Answer data.
	 * @param mixed $form_id  Form id.
	 * @return mixed
	 */
	public function ajax_response( $response, $form_id ) {
		if ( ! is_array( $response ) || ! is_scalar( $form_id ) ) {
			return $response;
		}
		$recorded = $this->leads->handoff()->recorded( FormsSettings::WPFORMS . ':' . (string) $form_id );
		if ( null !== $recorded ) {
			$response['layersync'] = $recorded;
		}
		return $response;
	}
}
