<?php
/**
 * UUIDv7 event ids.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Event;

use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Event\EventValidator;
use PHPUnit\Framework\TestCase;

final class EventIdTest extends TestCase {

	public function test_uuid7_has_version_variant_and_the_time(): void {
		$id = EventId::uuid7( 1732390000.123 );
		$this->assertMatchesRegularExpression( EventId::UUID7_PATTERN, $id );
		$this->assertSame( '01935a7d-95fb', substr( $id, 0, 13 ), 'the first 48 bits are the milliseconds, big-endian' );
		$this->assertSame( 1732390000123, EventId::uuid7_time_ms( $id ) );
		$this->assertMatchesRegularExpression( EventValidator::EVENT_ID_PATTERN, $id );
	}

	public function test_ids_are_unique_and_sort_by_time(): void {
		$ids = array();
		for ( $i = 0; $i < 200; $i++ ) {
			$ids[] = EventId::uuid7( 1732390000 + $i / 100 );
		}
		$this->assertCount( 200, array_unique( $ids ) );
		$sorted = $ids;
		sort( $sorted );
		$this->assertSame( $ids, $sorted );
		$this->assertNull( EventId::uuid7_time_ms( 'not-a-uuid' ) );
	}
}
