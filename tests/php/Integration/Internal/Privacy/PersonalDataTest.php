<?php
/**
 * Personal-data export and erasure (Tools → Export / Erase Personal Data).
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Privacy;

use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Identity\Hasher;
use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Privacy\PersonalData;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\CreatesUsers;
use LayerSync\Tests\Support\FakeRelayServer;

final class PersonalDataTest extends IntegrationTestCase {

	use CreatesUsers;

	private const SECRET = 'privacy-secret-0123456789abcdef0123456789abcdef';
	private const EMAIL  = 'Erase.Me@Example.com';

	private PersonalData $privacy;

	protected function setUp(): void {
		parent::setUp();
		$settings      = new Settings();
		$this->privacy = new PersonalData( new OutboxRepository(), new RelayClient( $settings, 5 ), $settings );
		delete_option( PersonalData::OPTION_PENDING );
		wp_clear_scheduled_hook( PersonalData::RETRY_HOOK );
	}

	protected function tearDown(): void {
		delete_option( PersonalData::OPTION_PENDING );
		wp_clear_scheduled_hook( PersonalData::RETRY_HOOK );
		$this->delete_users();
		parent::tearDown();
	}

	public function test_the_plugin_registers_an_exporter_and_an_eraser(): void {
		$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
		$erasers   = apply_filters( 'wp_privacy_personal_data_erasers', array() );
		$this->assertSame( 'LayerSync conversion events', $exporters['layersync']['exporter_friendly_name'] );
		$this->assertTrue( is_callable( $exporters['layersync']['callback'] ) );
		$this->assertSame( 'LayerSync conversion events', $erasers['layersync']['eraser_friendly_name'] );
		$this->assertTrue( is_callable( $erasers['layersync']['callback'] ) );
	}

	public function test_export_returns_the_outbox_rows_of_that_email_only(): void {
		$mine  = $this->record( 'lead', array( 'em' => ( new Hasher() )->hash( 'em', self::EMAIL ) ) );
		$other = $this->record( 'lead', array( 'em' => ( new Hasher() )->hash( 'em', 'someone@example.com' ) ) );
		$gmail = $this->record( 'sign_up', array( 'em_google' => ( new Hasher() )->hash( 'em_google', self::EMAIL ) ) );

		$export = $this->privacy->export( self::EMAIL, 1 );

		$this->assertTrue( $export['done'] );
		$this->assertSame( array( 'layersync-event-' . $mine, 'layersync-event-' . $gmail ), array_column( $export['data'], 'item_id' ) );
		$first = array_column( $export['data'][0]['data'], 'value', 'name' );
		$this->assertSame( 'lead', $first['Event'] );
		$this->assertSame( 'pending', $first['Delivery status'] );
		$this->assertStringContainsString( ( new Hasher() )->hash( 'em', self::EMAIL ), $first['Stored event'] );
		$this->assertStringNotContainsStringIgnoringCase( 'erase.me', (string) wp_json_encode( $export ) );
		$this->assertNotContains( 'layersync-event-' . $other, array_column( $export['data'], 'item_id' ) );
		$this->assertSame( array(), $this->privacy->export( 'nobody@example.com', 1 )['data'] );
	}

	public function test_erase_deletes_rows_and_asks_the_relay_with_a_signed_request(): void {
		$this->add_test_filter( 'send_email_change_email', '__return_false' );
		$user = $this->user( 'subscriber' );
		wp_update_user(
			array(
				'ID'         => $user,
				'user_email' => strtolower( self::EMAIL ),
			)
		);
		update_user_meta( $user, 'billing_phone', '+1 650 555 1212' );
		$hashes = $this->privacy->identity_hashes( self::EMAIL );
		$this->assertSame( array( 'em', 'em_google', 'em_reddit', 'ph', 'ph_e164' ), array_keys( $hashes ) );
		$this->record( 'lead', array( 'em' => $hashes['em'] ) );
		$this->record( 'purchase', array( 'ph' => $hashes['ph'] ) );
		$kept = $this->record( 'lead', array( 'em' => ( new Hasher() )->hash( 'em', 'someone@example.com' ) ) );

		$relay = new FakeRelayServer( self::SECRET );
		try {
			$this->connect( $relay->url(), 'shop-privacy', self::SECRET );
			$erasers = apply_filters( 'wp_privacy_personal_data_erasers', array() );
			$result  = call_user_func( $erasers['layersync']['callback'], self::EMAIL, 1 );

			$this->assertSame(
				array(
					'items_removed'  => true,
					'items_retained' => false,
					'messages'       => array( 'The LayerSync relay deleted 3 events it held for this person.' ),
					'done'           => true,
				),
				$result
			);
			$this->assertSame( array( (string) $kept ), array_column( self::outbox_rows(), 'id' ) );
			$requests = $relay->requests();
			$this->assertCount( 1, $requests );
			$this->assertSame( '/v1/privacy/delete', $requests[0]['path'] );
			$this->assertSame( 'shop-privacy', $requests[0]['site'] );
			$this->assertTrue( $requests[0]['signature_ok'], 'signed exactly like ingest' );
			$this->assertSame(
				array(
					'em' => $hashes['em'],
					'ph' => $hashes['ph'],
				),
				json_decode( (string) $requests[0]['body'], true )
			);
			$this->assertSame( array(), PersonalData::pending() );
		} finally {
			$relay->stop();
		}
	}

	public function test_an_unreachable_relay_is_asked_again_in_the_background(): void {
		$this->record( 'lead', array( 'em' => ( new Hasher() )->hash( 'em', self::EMAIL ) ) );
		$port = FakeRelayServer::free_port();
		$this->connect( 'http://127.0.0.1:' . $port, 'shop-privacy', self::SECRET );

		$result = $this->privacy->erase( self::EMAIL, 1 );

		$this->assertTrue( $result['items_removed'] );
		$this->assertTrue( $result['items_retained'], 'the relay still holds a copy' );
		$this->assertStringContainsString( 'LayerSync will keep asking in the background for 30 days', $result['messages'][0] );
		$this->assertSame( array(), self::outbox_rows() );
		$pending = PersonalData::pending();
		$this->assertCount( 1, $pending );
		$this->assertSame( array( 'em' => ( new Hasher() )->hash( 'em', self::EMAIL ) ), $pending[0]['identifiers'] );
		$this->assertStringNotContainsStringIgnoringCase( 'erase.me', (string) wp_json_encode( get_option( PersonalData::OPTION_PENDING ) ), 'only hashes are kept' );
		$this->assertSame( $pending[0]['next_at'], wp_next_scheduled( PersonalData::RETRY_HOOK ) );

		// Not due yet: nothing is sent.
		$this->assertSame( 0, $this->privacy->retry_pending() );

		$relay = new FakeRelayServer( self::SECRET, $port );
		try {
			$stored               = get_option( PersonalData::OPTION_PENDING );
			$stored[0]['next_at'] = time() - 1;
			update_option( PersonalData::OPTION_PENDING, $stored, false );
			do_action( PersonalData::RETRY_HOOK );

			$this->assertSame( array(), PersonalData::pending() );
			$this->assertFalse( wp_next_scheduled( PersonalData::RETRY_HOOK ) );
			$this->assertTrue( $relay->requests()[0]['signature_ok'] );
		} finally {
			$relay->stop();
		}
	}

	public function test_without_a_relay_only_the_outbox_is_erased(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_RELAY_URL, static fn() => '' );
		$this->record( 'lead', array( 'em' => ( new Hasher() )->hash( 'em', self::EMAIL ) ) );
		$calls = 0;
		$this->add_test_filter(
			'pre_http_request',
			static function () use ( &$calls ) {
				++$calls;
				return new \WP_Error( 'unexpected', 'no request expected' );
			}
		);
		$result = $this->privacy->erase( self::EMAIL, 1 );
		$this->assertTrue( $result['items_removed'] );
		$this->assertFalse( $result['items_retained'] );
		$this->assertSame( array( 'LayerSync is not connected to a relay, so no copy is held there.' ), $result['messages'] );
		$this->assertSame( 0, $calls );
	}

	/**
	 * Records a server event with the given identity; returns its row id.
	 *
	 * @param string                $name     Event name.
	 * @param array<string, string> $identity Identity.
	 * @return int
	 */
	private function record( string $name, array $identity ): int {
		$outbox   = new OutboxRepository();
		$recorder = new EventRecorder( $outbox, new EventValidator(), new DrainScheduler() );
		$event    = array(
			'event_id'   => self::uuid7(),
			'event_name' => $name,
			'event_time' => time(),
			'source'     => 'server',
			'identity'   => $identity,
		);
		if ( 'purchase' === $name ) {
			$event['commerce'] = array(
				'order_id' => '77',
				'value'    => 10.0,
				'currency' => 'EUR',
			);
		}
		$this->assertSame( 'queued', $recorder->record( $event )['status'] );
		return (int) ( $outbox->find( $event['event_id'] )['id'] ?? 0 );
	}
}
