<?php
/**
 * Leads from Contact Form 7, WPForms, Ninja Forms, Formidable and WooCommerce account creation,
 * fired through each plugin's documented hooks with their documented argument shapes.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Forms;

use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Forms\BrowserHandoff;
use LayerSync\Internal\Forms\FormsSettings;
use LayerSync\Internal\Forms\NinjaForms;
use LayerSync\Internal\Identity\Hasher;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\JsonSchema;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunInSeparateProcess;

final class LeadFormsTest extends IntegrationTestCase {

	private const EMAIL = 'Jane.Doe+News@GMail.com';
	private const PHONE = '+44 20 7946 0958';

	/**
	 * Outbound HTTP requests seen during the test.
	 *
	 * @var int
	 */
	private int $http_calls = 0;

	protected function setUp(): void {
		parent::setUp();
		delete_option( FormsSettings::OPTION );
		$_SERVER['HTTP_REFERER']    = home_url( '/contact/?utm_source=newsletter' );
		$_SERVER['HTTP_USER_AGENT'] = 'FormBrowser/1.0';
		$_SERVER['REMOTE_ADDR']     = '198.51.100.23';
		$_COOKIE['_fbp']            = 'fb.1.1732390000000.1234567890';
		$this->add_test_filter(
			'pre_http_request',
			function () {
				++$this->http_calls;
				return new \WP_Error( 'blocked', 'no network during a visitor request' );
			}
		);
	}

	protected function tearDown(): void {
		delete_option( FormsSettings::OPTION );
		$this->assertSame( 0, $this->http_calls, 'a form submission made an outbound HTTP request' );
		parent::tearDown();
	}

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_contact_form_7_mail_sent_records_a_hashed_lead_and_answers_with_its_id(): void {
		require dirname( __DIR__, 3 ) . '/Support/standins/form-plugins.php';
		$form                       = new \WPCF7_ContactForm(
			7,
			'Contact us',
			array(
				new \WPCF7_FormTag( 'text*', 'your-name' ),
				new \WPCF7_FormTag( 'email*', 'your-email' ),
				new \WPCF7_FormTag( 'tel', 'your-phone' ),
				new \WPCF7_FormTag( 'textarea', 'your-message' ),
			)
		);
		\WPCF7_Submission::$current = new \WPCF7_Submission(
			array(
				'your-name'    => 'Jane Doe',
				'your-email'   => self::EMAIL,
				'your-phone'   => self::PHONE,
				'your-message' => 'Call me back',
			)
		);
		$result                     = array(
			'contact_form_id' => 7,
			'status'          => 'mail_sent',
			'message'         => 'Thank you for your message. It has been sent.',
			'demo_mode'       => false,
		);

		do_action( 'wpcf7_submit', $form, $result );
		$response = apply_filters( 'wpcf7_feedback_response', array_merge( $result, array( 'into' => '#wpcf7-f7-o1' ) ), $result );

		$row   = $this->only_row();
		$event = $this->assert_lead( $row, 'cf7', '7' );
		$this->assertSame( 'Contact us', $event['properties']['form_name'] );
		$hasher = new Hasher();
		$this->assertSame( $hasher->hash( 'fn', 'Jane' ), $event['identity']['fn'] );
		$this->assertSame( $hasher->hash( 'ln', 'Doe' ), $event['identity']['ln'] );

		// The same id reaches the browser in CF7's answer and in the short-lived cookie.
		$this->assertSame(
			array(
				'event_id'   => $row['event_id'],
				'event_name' => 'lead',
			),
			$response['layersync']
		);
		$this->assertSame( $row['event_id'], BrowserHandoff::read_cookie()[0]['event_id'] );
		$this->assertSame( 'cf7:7', BrowserHandoff::read_cookie()[0]['source'] );
	}

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_contact_form_7_spam_invalid_and_demo_submissions_are_not_leads(): void {
		require dirname( __DIR__, 3 ) . '/Support/standins/form-plugins.php';
		$form                       = new \WPCF7_ContactForm( 7, 'Contact us', array( new \WPCF7_FormTag( 'email*', 'your-email' ) ) );
		\WPCF7_Submission::$current = new \WPCF7_Submission( array( 'your-email' => self::EMAIL ) );
		foreach ( array( 'spam', 'validation_failed', 'mail_failed', 'acceptance_missing' ) as $status ) {
			do_action(
				'wpcf7_submit',
				$form,
				array(
					'contact_form_id' => 7,
					'status'          => $status,
				)
			);
		}
		do_action(
			'wpcf7_submit',
			$form,
			array(
				'contact_form_id' => 7,
				'status'          => 'mail_sent',
				'demo_mode'       => true,
			)
		);
		$this->assertSame( array(), self::outbox_rows() );
		$response = apply_filters( 'wpcf7_feedback_response', array( 'status' => 'spam' ), array( 'contact_form_id' => 7 ) );
		$this->assertArrayNotHasKey( 'layersync', $response );
	}

	public function test_wpforms_process_complete_records_a_lead_and_the_ajax_answers_carry_its_id(): void {
		$fields    = array(
			1 => array(
				'name'  => 'Name',
				'value' => 'Jane Doe',
				'id'    => 1,
				'type'  => 'name',
				'first' => 'Jane',
				'last'  => 'Doe',
			),
			2 => array(
				'name'  => 'Email',
				'value' => self::EMAIL,
				'id'    => 2,
				'type'  => 'email',
			),
			3 => array(
				'name'  => 'Phone',
				'value' => self::PHONE,
				'id'    => 3,
				'type'  => 'phone',
			),
			4 => array(
				'name'  => 'Comment or Message',
				'value' => 'Hello',
				'id'    => 4,
				'type'  => 'textarea',
			),
		);
		$form_data = array(
			'id'       => 42,
			'settings' => array( 'form_title' => 'Quote request' ),
			'fields'   => $fields,
		);

		do_action( 'wpforms_process_complete', $fields, array( 'fields' => array() ), $form_data, 99 );
		$success  = apply_filters( 'wpforms_ajax_submit_success_response', array( 'confirmation' => '<p>Thanks!</p>' ), 42, $form_data );
		$redirect = apply_filters(
			'wpforms_ajax_submit_redirect',
			array(
				'form_id'      => 42,
				'redirect_url' => home_url( '/thanks/' ),
			),
			42,
			home_url( '/thanks/' )
		);
		$other    = apply_filters( 'wpforms_ajax_submit_success_response', array( 'confirmation' => '' ), 43, array() );

		$row = $this->only_row();
		$this->assert_lead( $row, 'wpforms', '42' );
		$this->assertSame( $row['event_id'], $success['layersync']['event_id'] );
		$this->assertSame( '<p>Thanks!</p>', $success['confirmation'] );
		$this->assertSame( $row['event_id'], $redirect['layersync']['event_id'] );
		$this->assertArrayNotHasKey( 'layersync', $other, 'another form got no id' );
	}

	public function test_ninja_forms_reserves_the_id_in_extra_data_and_uses_it_for_the_lead(): void {
		// The client may send anything in extra; the reserved id replaces it.
		$submitted = apply_filters(
			'ninja_forms_submit_data',
			array(
				'id'     => 3,
				'fields' => array(),
				'extra'  => array( NinjaForms::EXTRA_KEY => 'attacker-chosen-id' ),
			)
		);
		$reserved  = $submitted['extra'][ NinjaForms::EXTRA_KEY ];
		$this->assertMatchesRegularExpression( EventId::UUID7_PATTERN, $reserved );

		do_action(
			'ninja_forms_after_submission',
			array(
				'form_id'  => 3,
				'settings' => array(
					'title'      => 'Callback',
					'is_preview' => false,
				),
				'extra'    => $submitted['extra'],
				'fields'   => array(
					5 => array(
						'id'    => 5,
						'key'   => 'firstname_1712',
						'type'  => 'firstname',
						'label' => 'First Name',
						'value' => 'Jane',
					),
					6 => array(
						'id'    => 6,
						'key'   => 'email_1713',
						'type'  => 'email',
						'label' => 'Email',
						'value' => self::EMAIL,
					),
					7 => array(
						'id'    => 7,
						'key'   => 'phone_1714',
						'type'  => 'phone',
						'label' => 'Phone',
						'value' => self::PHONE,
					),
					8 => array(
						'id'    => 8,
						'key'   => 'submit_1715',
						'type'  => 'submit',
						'label' => 'Submit',
						'value' => '',
					),
				),
			)
		);

		$row = $this->only_row();
		$this->assert_lead( $row, 'ninja_forms', '3' );
		$this->assertSame( $reserved, $row['event_id'], 'the id echoed to the page as data.extra is the lead\'s id' );

		// A preview records nothing.
		do_action(
			'ninja_forms_after_submission',
			array(
				'form_id'  => 3,
				'settings' => array( 'is_preview' => true ),
				'fields'   => array(),
			)
		);
		$this->assertCount( 1, self::outbox_rows() );
	}

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_formidable_entry_records_a_lead_and_marks_the_success_message(): void {
		require dirname( __DIR__, 3 ) . '/Support/standins/form-plugins.php';
		\FrmForm::$names[11]    = 'Newsletter';
		\FrmField::$fields[11]  = array(
			(object) array(
				'id'        => 101,
				'field_key' => 'qh4icy',
				'type'      => 'email',
				'name'      => 'Email',
			),
			(object) array(
				'id'        => 102,
				'field_key' => 'ocfup1',
				'type'      => 'text',
				'name'      => 'Last Name',
			),
		);
		\FrmEntry::$entries[55] = (object) array(
			'id'       => 55,
			'form_id'  => 11,
			'is_draft' => 0,
			'metas'    => array(
				101 => self::EMAIL,
				102 => 'Doe',
			),
		);
		\FrmEntry::$entries[56] = (object) array(
			'id'       => 56,
			'form_id'  => 11,
			'is_draft' => 1,
			'metas'    => array( 101 => 'draft@example.com' ),
		);

		do_action( 'frm_after_create_entry', 56, 11 );
		$this->assertSame( array(), self::outbox_rows(), 'drafts are not leads' );
		do_action( 'frm_after_create_entry', 55, 11 );
		$message = apply_filters( 'frm_main_feedback', '<div class="frm_message"><p>Thanks!</p></div>', (object) array( 'id' => 11 ), 55 );

		$row   = $this->only_row();
		$event = $this->assert_lead( $row, 'formidable', '11', false );
		$this->assertSame( ( new Hasher() )->hash( 'ln', 'Doe' ), $event['identity']['ln'] );
		$this->assertStringContainsString( 'data-layersync-event-id="' . $row['event_id'] . '"', $message );
		$this->assertStringContainsString( 'data-layersync-event-name="lead"', $message );
	}

	public function test_woocommerce_account_creation_records_a_sign_up(): void {
		do_action(
			'woocommerce_created_customer',
			123,
			array(
				'user_login' => 'jane',
				'user_pass'  => 'not-used',
				'user_email' => self::EMAIL,
				'role'       => 'customer',
				'first_name' => 'Jane',
				'last_name'  => 'Doe',
			),
			true
		);
		$row   = $this->only_row();
		$event = json_decode( (string) $row['payload'], true );
		$this->assertSame( 'sign_up', $event['event_name'] );
		$this->assertSame( 'server', $event['source'] );
		$this->assertSame( array( 'method' => 'account' ), $event['properties'] );
		$this->assertSame( ( new Hasher() )->hash( 'em', self::EMAIL ), $event['identity']['em'] );
		$this->assertSame( ( new Hasher() )->hash( 'fn', 'Jane' ), $event['identity']['fn'] );
		$this->assertStringNotContainsStringIgnoringCase( 'jane.doe', (string) $row['payload'] );
		$this->assertSame( 'woocommerce:sign_up', BrowserHandoff::read_cookie()[0]['source'] );
		$this->assertSame( '10', $row['priority'], 'sign_up drains with leads' );
	}

	public function test_settings_decide_fields_plugins_and_forms(): void {
		( new FormsSettings() )->save(
			array(
				'wpforms' => array(
					'auto'    => false,
					'fields'  => array( 'Work email' => 'em' ),
					'exclude' => array( '77' ),
				),
				'cf7'     => array( 'enabled' => false ),
			)
		);
		$fields = array(
			1 => array(
				'name'  => 'Email',
				'value' => 'private@example.com',
				'id'    => 1,
				'type'  => 'email',
			),
			2 => array(
				'name'  => 'Work email',
				'value' => 'work@example.com',
				'id'    => 2,
				'type'  => 'text',
			),
		);
		do_action( 'wpforms_process_complete', $fields, array(), array( 'id' => 77 ), 1 );
		$this->assertSame( array(), self::outbox_rows(), 'an excluded form records nothing' );

		do_action( 'wpforms_process_complete', $fields, array(), array( 'id' => 78 ), 2 );
		$event = json_decode( (string) $this->only_row()['payload'], true );
		$this->assertSame( ( new Hasher() )->hash( 'em', 'work@example.com' ), $event['identity']['em'], 'only the configured field is used' );

		$invalid = ( new FormsSettings() )->save( array( 'wpforms' => array( 'fields' => array( 'x' => 'raw_email' ) ) ) );
		$this->assertInstanceOf( \WP_Error::class, $invalid );
		$this->assertStringContainsString( 'must be one of: em, ph', $invalid->get_error_message() );
	}

	public function test_strict_default_denied_mode_records_no_lead_without_consent(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_REQUIRE_CONSENT, static fn() => '1' );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_CONSENT_DEFAULT, static fn() => 'denied' );
		do_action(
			'wpforms_process_complete',
			array(
				array(
					'name'  => 'Email',
					'value' => self::EMAIL,
					'id'    => 1,
					'type'  => 'email',
				),
			),
			array(),
			array( 'id' => 5 ),
			1
		);
		$this->assertSame( array(), self::outbox_rows() );
		$this->assertArrayNotHasKey( BrowserHandoff::COOKIE, $_COOKIE );

		// The layersync_consent filter (e.g. a consent manager's own cookie) can grant it.
		$this->add_test_filter(
			'layersync_consent',
			static fn( array $consent ) => array_merge( $consent, array( 'analytics_storage' => 'granted' ) )
		);
		do_action(
			'wpforms_process_complete',
			array(
				array(
					'name'  => 'Email',
					'value' => self::EMAIL,
					'id'    => 1,
					'type'  => 'email',
				),
			),
			array(),
			array( 'id' => 5 ),
			2
		);
		$event = json_decode( (string) $this->only_row()['payload'], true );
		$this->assertSame( 'granted', $event['consent']['analytics_storage'] );
		$this->assertSame( 'denied', $event['consent']['ad_storage'] );
	}

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_wp_consent_api_decides_the_snapshot_of_server_events(): void {
		require dirname( __DIR__, 3 ) . '/Support/standins/wp-consent-api.php';
		$GLOBALS['layersync_test_consent'] = array(
			'marketing'  => false,
			'statistics' => true,
		);
		$_SERVER['HTTP_SEC_GPC']           = '1';
		do_action(
			'wpforms_process_complete',
			array(
				array(
					'name'  => 'Email',
					'value' => self::EMAIL,
					'id'    => 1,
					'type'  => 'email',
				),
			),
			array(),
			array( 'id' => 5 ),
			1
		);
		$event = json_decode( (string) $this->only_row()['payload'], true );
		$this->assertSame(
			array(
				'ad_storage'         => 'denied',
				'analytics_storage'  => 'granted',
				'ad_user_data'       => 'denied',
				'ad_personalization' => 'denied',
				'do_not_sell'        => true,
			),
			$event['consent']
		);
	}

	/**
	 * The single outbox row.
	 *
	 * @return array<string, string|null>
	 */
	private function only_row(): array {
		$rows = self::outbox_rows();
		$this->assertCount( 1, $rows );
		return $rows[0];
	}

	/**
	 * Checks a lead row: server source, the lead's properties, hashed email (with the Google and
	 * Reddit variants) and phone (E.164 variant), consent, context, valid for the relay, and no
	 * raw value anywhere.
	 *
	 * @param array<string, string|null> $row        Outbox row.
	 * @param string                     $plugin     Form plugin slug.
	 * @param string                     $form_id    Form id.
	 * @param bool                       $with_phone Whether the form had a phone field.
	 * @return array<string, mixed> The decoded event.
	 */
	private function assert_lead( array $row, string $plugin, string $form_id, bool $with_phone = true ): array {
		$payload = (string) $row['payload'];
		$event   = json_decode( $payload, true );
		$hasher  = new Hasher();
		$this->assertSame( 'lead', $row['event_name'] );
		$this->assertSame( '10', $row['priority'] );
		$this->assertMatchesRegularExpression( EventId::UUID7_PATTERN, (string) $row['event_id'] );
		$this->assertSame( 'server', $event['source'] );
		$this->assertSame( $plugin, $event['properties']['form_plugin'] );
		$this->assertSame( $form_id, $event['properties']['form_id'] );
		$this->assertSame( $hasher->hash( 'em', self::EMAIL ), $event['identity']['em'] );
		$this->assertSame( hash( 'sha256', 'janedoe@gmail.com' ), $event['identity']['em_google'] );
		$this->assertSame( hash( 'sha256', 'janedoe@gmail.com' ), $event['identity']['em_reddit'] );
		if ( $with_phone ) {
			$this->assertSame( hash( 'sha256', '442079460958' ), $event['identity']['ph'] );
			$this->assertSame( hash( 'sha256', '+442079460958' ), $event['identity']['ph_e164'] );
		}
		$this->assertSame( 'fb.1.1732390000000.1234567890', $event['identity']['fbp'] );
		$this->assertSame( hash( 'sha256', (string) $_COOKIE['layersync_uid'] ), $event['identity']['external_id'] );
		$this->assertSame( 'granted', $event['consent']['ad_storage'] );
		$this->assertSame( home_url( '/contact/?utm_source=newsletter' ), $event['context']['url'] );
		$this->assertSame( '198.51.100.23', $event['context']['ip'] );
		$this->assertSame( 'FormBrowser/1.0', $event['context']['user_agent'] );
		$this->assertSame( array(), JsonSchema::event_schema()->errors( json_decode( $payload ) ) );
		foreach ( array( 'jane.doe', 'janedoe', '7946', 'Jane' ) as $raw ) {
			$this->assertStringNotContainsString( $raw, $payload, 'raw personal data is never stored' );
		}
		return $event;
	}
}
