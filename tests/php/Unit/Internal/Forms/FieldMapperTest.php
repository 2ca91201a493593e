<?php
/**
 * Which form fields identify the person.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Forms;

use LayerSync\Internal\Forms\FieldMapper;
use PHPUnit\Framework\TestCase;

final class FieldMapperTest extends TestCase {

	private FieldMapper $mapper;

	protected function setUp(): void {
		$this->mapper = new FieldMapper();
	}

	/**
	 * A field.
	 *
	 * @param string $name  Name.
	 * @param mixed  $value Value.
	 * @param string $type  Type.
	 * @param string $label Label.
	 * @return array{name: string, label: string, type: string, value: mixed}
	 */
	private static function field( string $name, $value, string $type = '', string $label = '' ): array {
		return array(
			'name'  => $name,
			'label' => $label,
			'type'  => $type,
			'value' => $value,
		);
	}

	public function test_contact_form_7_defaults_detect_by_type_and_name(): void {
		$raw = $this->mapper->map(
			array(
				self::field( 'your-name', 'Jane van der Berg', 'text' ),
				self::field( 'your-email', 'Jane@Example.com', 'email' ),
				self::field( 'your-tel', '+44 20 7946 0958', 'tel' ),
				self::field( 'your-subject', 'Hello', 'text' ),
				self::field( 'your-message', 'Please call me at +1 650 555 1212', 'textarea' ),
			),
			array()
		);
		$this->assertSame(
			array(
				'fn' => 'Jane',
				'ln' => 'Berg',
				'em' => 'Jane@Example.com',
				'ph' => '+44 20 7946 0958',
			),
			$raw
		);
	}

	public function test_labels_and_name_parts(): void {
		$raw = $this->mapper->map(
			array(
				self::field( '1.first', 'Jean-Luc', 'name_first', 'Name' ),
				self::field( '1.last', 'Picard', 'name_last', 'Name' ),
				self::field( '2', 'jl@example.com', 'text', 'E-mail address' ),
				self::field( '3', '0612345678', 'text', 'Mobile number' ),
			),
			array()
		);
		$this->assertSame(
			array(
				'fn' => 'Jean-Luc',
				'ln' => 'Picard',
				'em' => 'jl@example.com',
				'ph' => '0612345678',
			),
			$raw
		);
	}

	public function test_rules_win_over_detection_and_ignore_drops_a_field(): void {
		$fields = array(
			self::field( 'contact', 'first@example.com', 'email' ),
			self::field( 'billing', 'second@example.com', 'email' ),
			self::field( 'postcode', '90210-1234', 'text' ),
			self::field( 'city', 'New York', 'text' ),
			self::field( 'phone', '555', 'tel' ),
		);
		$raw    = $this->mapper->map(
			$fields,
			array(
				'auto'   => true,
				'fields' => array(
					'CONTACT'  => 'ignore',
					'postcode' => 'zp',
					'City'     => 'ct',
					'type:tel' => 'ignore',
					'bogus'    => 'password',
				),
			)
		);
		$this->assertSame(
			array(
				'em' => 'second@example.com',
				'zp' => '90210-1234',
				'ct' => 'New York',
			),
			$raw
		);
	}

	public function test_without_detection_only_rules_apply(): void {
		$raw = $this->mapper->map(
			array(
				self::field( 'your-email', 'a@example.com', 'email' ),
				self::field( 'whatsapp', '+15551234567', 'text' ),
			),
			array(
				'auto'   => false,
				'fields' => array( 'whatsapp' => 'ph' ),
			)
		);
		$this->assertSame( array( 'ph' => '+15551234567' ), $raw );
	}

	public function test_an_email_value_is_found_when_no_field_says_email(): void {
		$raw = $this->mapper->map(
			array(
				self::field( '17', 'Acme', '' ),
				self::field( '18', ' person@example.org ', '' ),
				self::field( '19', 'my address is x@example.org', 'textarea' ),
			),
			array()
		);
		$this->assertSame( array( 'em' => 'person@example.org' ), $raw );
	}

	public function test_passwords_files_and_empty_values_are_never_used(): void {
		$raw = $this->mapper->map(
			array(
				self::field( 'email', 'hunter2@example.com', 'password' ),
				self::field( 'email_upload', 'cv@example.com', 'file' ),
				self::field( 'email', '', 'email' ),
				self::field( 'phone', array( '', '+33 1 23 45 67 89' ), 'tel' ),
				self::field( 'username', 'jdoe', 'text' ),
				self::field( 'company name', 'Acme', 'text' ),
			),
			array(
				'fields' => array( 'type:password' => 'em' ),
			)
		);
		$this->assertSame( array( 'ph' => '+33 1 23 45 67 89' ), $raw );
	}

	public function test_split_name(): void {
		$this->assertSame( array( 'Cher', '' ), FieldMapper::split_name( ' Cher ' ) );
		$this->assertSame( array( 'Mary', 'Smith' ), FieldMapper::split_name( "Mary  Ann\tSmith" ) );
		$this->assertSame( array( '', '' ), FieldMapper::split_name( '   ' ) );
	}
}
