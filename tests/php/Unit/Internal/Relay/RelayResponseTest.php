<?php
/**
 * Reading relay answers.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Relay;

use LayerSync\Internal\Relay\RelayResponse;
use PHPUnit\Framework\TestCase;

final class RelayResponseTest extends TestCase {

	public function test_results_are_indexed_by_batch_position(): void {
		$response = RelayResponse::from_http(
			202,
			'{"accepted":1,"duplicate":1,"rejected":1,"results":[{"index":2,"event_id":"c","status":"rejected","reason":"event_time: too old"},{"index":0,"event_id":"a","status":"accepted"},{"index":1,"event_id":"b","status":"duplicate","reason":"seen"}]}',
			'',
			0
		);
		$this->assertSame(
			array(
				2 => array(
					'status' => 'rejected',
					'reason' => 'event_time: too old',
				),
				0 => array(
					'status' => 'accepted',
					'reason' => '',
				),
				1 => array(
					'status' => 'duplicate',
					'reason' => 'seen',
				),
			),
			$response->results()
		);
	}

	public function test_errors_are_described_without_the_body_beyond_code_and_message(): void {
		$response = RelayResponse::from_http( 401, '{"error":"bad_signature","message":"the signature does not match"}', '', 0 );
		$this->assertSame( 'bad_signature', $response->error_code() );
		$this->assertSame( 'Relay answered HTTP 401 (bad_signature): the signature does not match', $response->describe() );
		$this->assertSame( array(), $response->results() );

		$html = RelayResponse::from_http( 502, '<html>Bad gateway</html>', '', 0 );
		$this->assertNull( $html->body );
		$this->assertSame( 'Relay answered HTTP 502', $html->describe() );

		$network = new RelayResponse( 0, null, null, 'cURL error 7: Failed to connect' );
		$this->assertTrue( $network->is_network_error() );
		$this->assertSame( 'Relay unreachable: cURL error 7: Failed to connect', $network->describe() );
	}

	public function test_retry_after_in_seconds_or_as_a_date(): void {
		$now = 1732390000;
		$this->assertSame( 120, RelayResponse::parse_retry_after( '120', $now ) );
		$this->assertSame( 90, RelayResponse::parse_retry_after( gmdate( 'D, d M Y H:i:s', $now + 90 ) . ' GMT', $now ) );
		$this->assertSame( 0, RelayResponse::parse_retry_after( gmdate( 'D, d M Y H:i:s', $now - 90 ) . ' GMT', $now ) );
		$this->assertNull( RelayResponse::parse_retry_after( '', $now ) );
		$this->assertNull( RelayResponse::parse_retry_after( 'soon', $now ) );
		$this->assertSame( 30, RelayResponse::from_http( 429, '{}', '30', $now )->retry_after );
	}
}
