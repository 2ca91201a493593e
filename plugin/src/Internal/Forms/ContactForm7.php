<?php
/**
 * Contact Form 7 leads.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

/**
 * A Contact Form 7 submission whose status is "mail_sent" (valid, not spam; also when the
 * form skips mail) records a `lead`. Fields come from
 * `WPCF7_Submission::get_instance()->get_posted_data()`, their types from the form's tags.
 *
 * Browser: CF7's REST answer gets `"layersync": {"event_id", "event_name"}` through the
 * `wpcf7_feedback_response` filter; the tracker reads it from the `wpcf7mailsent` DOM event as
 * `event.detail.apiResponse.layersync`.
 *
 * Hooks exist without Contact Form 7 but never fire; its classes are checked before use.
 *
 * @since 0.1.0
 */
final class ContactForm7 {

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
		add_action( 'wpcf7_submit', array( $this, 'on_submit' ), 10, 2 );
		add_filter( 'wpcf7_feedback_response', array( $this, 'feedback_response' ), 10, 2 );
	}

	/**
	 * `wpcf7_submit`: records a lead for a successful submission.
	 *
	 * @param mixed $contact_form WPCF7_ContactForm.
	 * @param mixed $result       Submission result (contact_form_id, status, message).
	 */
	public function on_submit( $contact_form, $result ): void {
		if ( ! is_object( $contact_form ) || ! is_array( $result ) || 'mail_sent' !== ( $result['status'] ?? '' ) ) {
			return;
		}
		if ( ! empty( $result['demo_mode'] ) || ! class_exists( 'WPCF7_Submission' ) || ! method_exists( $contact_form, 'id' ) ) {
			return;
		}
		$submission = \WPCF7_Submission::get_instance();
		if ( ! is_object( $submission ) ) {
			return;
		}
		$posted = $submission->get_posted_data();
		$types  = array();
		if ( method_exists( $contact_form, 'scan_form_tags' ) ) {
			foreach ( (array) $contact_form->scan_form_tags() as $tag ) {
				if ( is_object( $tag ) && isset( $tag->name, $tag->basetype ) && '' !== (string) $tag->name ) {
					$types[ (string) $tag->name ] = (string) $tag->basetype;
				}
			}
		}
		$fields = array();
		foreach ( is_array( $posted ) ? $posted : array() as $name => $value ) {
			$name = (string) $name;
			if ( str_starts_with( $name, '_wpcf7' ) ) {
				continue;
			}
			$fields[] = array(
				'name'  => $name,
				'label' => '',
				'type'  => $types[ $name ] ?? '',
				'value' => $value,
			);
		}
		$title = method_exists( $contact_form, 'title' ) ? (string) $contact_form->title() : '';
		$this->leads->record_form( FormsSettings::CONTACT_FORM_7, (string) $contact_form->id(), $title, $fields );
	}

	/**
	 * `wpcf7_feedback_response`: adds the lead's event id to CF7's REST answer.
	 *
	 * @param mixed $response REST answer.
	 * @param mixed $result   Submission result (contact_form_id…).
	 * @return mixed
	 */
	public function feedback_response( $response, $result ) {
		if ( ! is_array( $response ) || ! is_array( $result ) || ! isset( $result['contact_form_id'] ) ) {
			return $response;
		}
		$recorded = $this->leads->handoff()->recorded( FormsSettings::CONTACT_FORM_7 . ':' . (string) $result['contact_form_id'] );
		if ( null !== $recorded ) {
			$response['layersync'] = $recorded;
		}
		return $response;
	}
}
