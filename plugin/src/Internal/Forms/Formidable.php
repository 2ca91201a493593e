<?php
/**
 * Formidable Forms leads.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

/**
 * A new Formidable entry (`frm_after_create_entry` with $entry_id, $form_id) records a `lead`.
 * The values come from `FrmEntry::getOne( $entry_id, true )` (its `metas`: field id => value,
 * read through FrmEntryMeta), field keys, names and types from `FrmField::get_all_for_form()`,
 * the title from `FrmForm::getName()`. Drafts are skipped.
 *
 * Browser: the success message (`frm_main_feedback`, shown by AJAX and classic submissions
 * alike) gets a hidden `<span class="layersync-event" data-layersync-event-id="…"
 * data-layersync-event-name="lead">`; the tracker looks for it when Formidable replaces the
 * form with its message. The `layersync_events` cookie is set too.
 *
 * @since 0.1.0
 */
final class Formidable {

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
		add_action( 'frm_after_create_entry', array( $this, 'on_entry' ), 30, 2 );
		add_filter( 'frm_main_feedback', array( $this, 'feedback' ), 10, 3 );
	}

	/**
	 * `frm_after_create_entry`: records the lead.
	 *
	 * @param mixed $entry_id Entry id.
	 * @param mixed $form_id  Form id.
	 */
	public function on_entry( $entry_id, $form_id ): void {
		if ( ! is_numeric( $entry_id ) || ! is_numeric( $form_id ) || ! class_exists( 'FrmEntry' ) ) {
			return;
		}
		$entry = \FrmEntry::getOne( (int) $entry_id, true );
		if ( ! is_object( $entry ) || ! empty( $entry->is_draft ) ) {
			return;
		}
		$metas       = isset( $entry->metas ) && is_array( $entry->metas ) ? $entry->metas : array();
		$definitions = array();
		if ( class_exists( 'FrmField' ) ) {
			foreach ( (array) \FrmField::get_all_for_form( (int) $form_id ) as $field ) {
				if ( is_object( $field ) && isset( $field->id ) ) {
					$definitions[ (string) $field->id ] = $field;
				}
			}
		}
		$fields = array();
		foreach ( $metas as $field_id => $value ) {
			$definition = $definitions[ (string) $field_id ] ?? null;
			$fields[]   = array(
				'name'  => null !== $definition && isset( $definition->field_key ) ? (string) $definition->field_key : (string) $field_id,
				'label' => null !== $definition && isset( $definition->name ) ? (string) $definition->name : '',
				'type'  => null !== $definition && isset( $definition->type ) ? (string) $definition->type : '',
				'value' => $value,
			);
		}
		$title = class_exists( 'FrmForm' ) ? (string) \FrmForm::getName( (int) $form_id ) : '';
		$this->leads->record_form( FormsSettings::FORMIDABLE, (string) (int) $form_id, $title, $fields );
	}

	/**
	 * `frm_main_feedback`: adds the lead's event id to the success message.
	 *
	 * @param mixed $message  Message HTML.
	 * @param mixed $form     Form object.
	 * @param mixed $entry_id Entry id.
	 * @return mixed
	 */
	public function feedback( $message, $form, $entry_id = 0 ) {
		if ( ! is_string( $message ) || ! is_object( $form ) || ! isset( $form->id ) ) {
			return $message;
		}
		$recorded = $this->leads->handoff()->recorded( FormsSettings::FORMIDABLE . ':' . (string) (int) $form->id );
		if ( null === $recorded ) {
			return $message;
		}
		return $message . sprintf(
			'<span class="layersync-event" hidden data-layersync-event-id="%s" data-layersync-event-name="%s"></span>',
			esc_attr( $recorded['event_id'] ),
			esc_attr( $recorded['event_name'] )
		);
	}
}
