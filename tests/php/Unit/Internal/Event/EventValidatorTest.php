<?php
/**
 * Event validation against the contract.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Event;

use LayerSync\Internal\Event\EventJson;
use LayerSync\Internal\Event\EventValidator;
use LayerSync\Tests\Support\JsonSchema;
use LayerSync\Tests\Unit\Internal\Identity\HasherTest;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

final class EventValidatorTest extends TestCase {

	private const NOW = 1732390000;

	private const RAW_EMAIL = 'Jane.Doe@Example.com';

	private EventValidator $validator;

	protected function setUp(): void {
		$this->validator = new EventValidator();
	}

	public function test_standard_names_match_the_relay_contract(): void {
		$schema = json_decode( (string) file_get_contents( dirname( __DIR__, 5 ) . '/relay/schema/event.schema.json' ), true );
		$this->assertSame( $schema['properties']['event_name']['anyOf'][0]['enum'], EventValidator::STANDARD_EVENT_NAMES );
		$this->assertSame( $schema['properties']['event_id']['pattern'], trim( EventValidator::EVENT_ID_PATTERN, '/' ) );
	}

	public function test_identity_keys_match_the_canonical_schema(): void {
		$hashed = EventValidator::HASHED_IDENTITY_KEYS;
		sort( $hashed );
		$this->assertSame( HasherTest::canonical_hashed_keys(), $hashed );

		$source = (string) file_get_contents( dirname( __DIR__, 5 ) . '/relay/src/contract/event.ts' );
		preg_match_all( '/^\s{4}(\w+): clickId\b/m', $source, $m );
		$this->assertSame( $m[1], EventValidator::CLICK_ID_KEYS );
	}

	public function test_minimal_browser_event_gets_source_browser(): void {
		$result = $this->validator->validate_browser_event(
			array(
				'event_id'   => '0192f5c4-8e2a-7b7c-9d1e-123456789abc',
				'event_name' => 'page_view',
				'event_time' => self::NOW,
			),
			self::NOW
		);
		$this->assertTrue( $result->is_valid(), $result->reason() );
		$this->assertSame(
			array(
				'event_id'   => '0192f5c4-8e2a-7b7c-9d1e-123456789abc',
				'event_name' => 'page_view',
				'event_time' => self::NOW,
				'source'     => 'browser',
			),
			$result->event
		);
	}

	public function test_complete_event_is_kept_and_valid_against_the_relay_schema(): void {
		$event  = self::full_event();
		$result = $this->validator->validate( $event, self::NOW );

		$this->assertTrue( $result->is_valid(), $result->reason() );
		$this->assertSame( $event, $result->event );
		$json = EventJson::encode( $result->event );
		$this->assertSame( array(), JsonSchema::event_schema()->errors( json_decode( $json ) ) );
	}

	public function test_browser_context_ip_and_user_agent_are_dropped_for_the_route_to_set(): void {
		$event           = self::full_event();
		$event['source'] = 'browser';
		$result          = $this->validator->validate_browser_event( $event, self::NOW );
		$this->assertTrue( $result->is_valid(), $result->reason() );
		$this->assertSame(
			array(
				'url'      => 'https://shop.example.com/product/mug/',
				'referrer' => 'https://www.google.com/',
				'locale'   => 'de-DE',
			),
			$result->event['context']
		);
	}

	/**
	 * Invalid events are refused with a message naming the field — never quoting the value.
	 *
	 * @param array<string, mixed> $change  Fields to set (null removes).
	 * @param string               $message Expected fragment.
	 */
	#[DataProvider( 'invalid_events' )]
	public function test_invalid_events_are_refused_with_a_readable_reason( array $change, string $message ): void {
		$event = self::full_event();
		unset( $event['source'] );
		foreach ( $change as $path => $value ) {
			$ref  = &$event;
			$keys = explode( '.', $path );
			$last = array_pop( $keys );
			foreach ( $keys as $key ) {
				$ref = &$ref[ $key ];
			}
			if ( null === $value ) {
				unset( $ref[ $last ] );
			} else {
				$ref[ $last ] = $value;
			}
			unset( $ref );
		}

		$result = $this->validator->validate_browser_event( $event, self::NOW );

		$this->assertFalse( $result->is_valid() );
		$this->assertStringContainsString( $message, $result->reason() );
		$this->assertStringNotContainsStringIgnoringCase( 'jane.doe', $result->reason() );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{array<string, mixed>, string}>
	 */
	public static function invalid_events(): array {
		return array(
			'raw email'               => array( array( 'identity.em' => self::RAW_EMAIL ), 'identity.em must be a SHA-256 hash: 64 lowercase hex characters of the normalized value; raw personal data is not accepted' ),
			'uppercase hash'          => array( array( 'identity.ph' => strtoupper( hash( 'sha256', '16505551212' ) ) ), 'identity.ph must be a SHA-256 hash' ),
			'raw phone'               => array( array( 'identity.ph' => '+1 650 555 1212' ), 'identity.ph must be a SHA-256 hash' ),
			'unknown identity field'  => array( array( 'identity.email' => self::RAW_EMAIL ), 'identity.email is not a known field' ),
			'odd field name'          => array( array( 'identity.jane@example' => 'x' ), 'identity.(a field with an unusual name) is not a known field' ),
			'email in a property'     => array( array( 'properties.note' => 'contact ' . self::RAW_EMAIL ), 'properties.note looks like it contains an email address' ),
			'purchase'                => array( array( 'event_name' => 'purchase' ), 'event_name "purchase" is recorded by the store\'s own server hooks' ),
			'refund'                  => array( array( 'event_name' => 'refund' ), 'event_name "refund" is recorded by the store\'s own server hooks' ),
			'unknown name'            => array( array( 'event_name' => 'AddToCart' ), 'event_name must be one of page_view' ),
			'bad custom name'         => array( array( 'event_name' => 'custom:has space' ), 'custom:<name>' ),
			'missing id'              => array( array( 'event_id' => null ), 'event_id is required' ),
			'bad id'                  => array( array( 'event_id' => '../etc' ), 'event_id must be 1-128 characters' ),
			'time as string'          => array( array( 'event_time' => '1732390000' ), 'event_time must be a positive integer' ),
			'time in milliseconds'    => array( array( 'event_time' => self::NOW * 1000 ), 'looks like milliseconds' ),
			'time too old'            => array( array( 'event_time' => self::NOW - 8 * 86400 ), 'more than 7 days in the past' ),
			'time in the future'      => array( array( 'event_time' => self::NOW + 7200 ), 'more than 1 hour in the future' ),
			'source from browser'     => array( array( 'source' => 'server' ), 'source is set by the server' ),
			'unknown top-level field' => array( array( 'user' => array( 'email' => 'x' ) ), 'user is not a known field' ),
			'relative url'            => array( array( 'context.url' => '/product/mug/' ), 'context.url must be an absolute URL' ),
			'value without currency'  => array( array( 'commerce.currency' => null ), 'commerce.currency is required when commerce.value is set' ),
			'lowercase currency'      => array( array( 'commerce.currency' => 'eur' ), 'commerce.currency must be an ISO 4217 code' ),
			'value as string'         => array( array( 'commerce.value' => '12.50' ), 'commerce.value must be a number' ),
			'item without id'         => array( array( 'commerce.items' => array( array( 'name' => 'Mug' ) ) ), 'commerce.items[0].id is required' ),
			'item quantity zero'      => array(
				array(
					'commerce.items' => array(
						array(
							'id'       => 'sku-1',
							'quantity' => 0,
						),
					),
				),
				'commerce.items[0].quantity must be a whole number',
			),
			'incomplete consent'      => array( array( 'consent.ad_user_data' => null ), 'consent.ad_user_data must be "granted" or "denied"' ),
			'consent yes/no'          => array( array( 'consent.ad_storage' => 'yes' ), 'consent.ad_storage must be "granted" or "denied"' ),
			'nested property'         => array( array( 'properties.tags' => array( 'a', 'b' ) ), 'properties.tags must be a string, number, boolean or null' ),
			'event as a list'         => array( array( 'context' => array( 'a', 'b' ) ), 'context must be an object' ),
		);
	}

	public function test_not_an_object(): void {
		$this->assertSame( array( 'each event must be a JSON object' ), $this->validator->validate_browser_event( 'lead', self::NOW )->errors );
		$this->assertSame( array( 'each event must be a JSON object' ), $this->validator->validate_browser_event( array( 1, 2 ), self::NOW )->errors );
	}

	public function test_server_events_need_a_source_and_may_be_purchases(): void {
		$event = self::full_event();
		unset( $event['source'] );
		$this->assertStringContainsString( 'source must be one of browser, server, webhook, sdk', $this->validator->validate( $event, self::NOW )->reason() );

		$event['source']     = 'server';
		$event['event_name'] = 'purchase';
		$event['event_time'] = self::NOW - 30 * 86400; // An order paid days later keeps its own time.
		$this->assertTrue( $this->validator->validate( $event, self::NOW )->is_valid() );
	}

	public function test_empty_objects_from_json_are_accepted_and_left_out(): void {
		$result = $this->validator->validate_browser_event(
			array(
				'event_id'   => 'e1',
				'event_name' => 'custom:quiz_done',
				'event_time' => self::NOW,
				'context'    => array(),
				'identity'   => array(),
				'properties' => array(),
			),
			self::NOW
		);
		$this->assertTrue( $result->is_valid(), $result->reason() );
		$this->assertSame( array( 'event_id', 'event_name', 'event_time', 'source' ), array_keys( $result->event ) );
	}

	public function test_integral_float_time_is_accepted_as_an_integer(): void {
		$result = $this->validator->validate_browser_event(
			array(
				'event_id'   => 'e1',
				'event_name' => 'lead',
				'event_time' => (float) self::NOW,
			),
			self::NOW
		);
		$this->assertSame( self::NOW, $result->event['event_time'] );
	}

	public function test_consent_do_not_sell_defaults_to_false(): void {
		$event = self::full_event();
		unset( $event['consent']['do_not_sell'] );
		$this->assertFalse( $this->validator->validate( $event, self::NOW )->event['consent']['do_not_sell'] );
	}

	public function test_emails_in_url_queries_are_redacted(): void {
		$this->assertSame(
			'https://shop.example.com/thanks/?email=redacted&order=12#redacted',
			EventValidator::redact_url( 'https://shop.example.com/thanks/?email=Jane.Doe%40Example.com&order=12#jane@example.org' )
		);
		$this->assertSame( 'https://user@shop.example.com/a', EventValidator::redact_url( 'https://user@shop.example.com/a' ), 'only query and fragment' );
	}

	public function test_empty_objects_encode_as_json_objects(): void {
		$json = EventJson::encode(
			array(
				'event_id'   => 'e1',
				'context'    => array(),
				'commerce'   => array( 'items' => array( array( 'id' => 'a' ) ) ),
				'properties' => array( '0' => 'zero' ),
			)
		);
		$this->assertSame( '{"event_id":"e1","context":{},"commerce":{"items":[{"id":"a"}]},"properties":{"0":"zero"}}', $json );
		$this->assertSame( '{"a":"café/x"}', EventJson::encode( array( 'a' => 'café/x' ) ), 'exact UTF-8, unescaped slashes' );
	}

	/**
	 * An event using every field of the contract.
	 *
	 * @return array<string, mixed>
	 */
	private static function full_event(): array {
		return array(
			'event_id'   => '0192f5c4-8e2a-7b7c-9d1e-123456789abc',
			'event_name' => 'add_to_cart',
			'event_time' => self::NOW - 60,
			'source'     => 'server',
			'context'    => array(
				'url'           => 'https://shop.example.com/product/mug/',
				'referrer'      => 'https://www.google.com/',
				'user_agent'    => 'Mozilla/5.0',
				'ip'            => '2001:db8::1',
				'ip_anonymized' => false,
				'locale'        => 'de-DE',
			),
			'identity'   => array(
				'em'           => hash( 'sha256', 'jane.doe@example.com' ),
				'ph'           => hash( 'sha256', '16505551212' ),
				'external_id'  => hash( 'sha256', 'cust-42' ),
				'fbp'          => 'fb.1.1732390000000.123456789',
				'gclid'        => 'Cj0KCQiA',
				'ga_client_id' => '123.456',
			),
			'commerce'   => array(
				'order_id' => 'cart-1',
				'value'    => 12.5,
				'currency' => 'EUR',
				'tax'      => 2,
				'shipping' => 0,
				'coupon'   => 'WELCOME',
				'items'    => array(
					array(
						'id'       => 'sku-1',
						'name'     => 'Mug',
						'price'    => 12.5,
						'quantity' => 1,
						'category' => 'Kitchen',
						'variant'  => 'Blue',
						'brand'    => 'Acme',
					),
				),
			),
			'consent'    => array(
				'ad_storage'         => 'granted',
				'analytics_storage'  => 'granted',
				'ad_user_data'       => 'denied',
				'ad_personalization' => 'denied',
				'do_not_sell'        => true,
			),
			'properties' => array(
				'plan'  => 'gold',
				'count' => 3,
				'ok'    => true,
				'none'  => null,
			),
		);
	}
}
