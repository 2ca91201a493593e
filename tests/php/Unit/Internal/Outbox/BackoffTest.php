<?php
/**
 * Retry delays.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Outbox;

use LayerSync\Internal\Outbox\Backoff;
use PHPUnit\Framework\TestCase;

final class BackoffTest extends TestCase {

	public function test_delay_doubles_per_attempt_between_half_and_all_of_the_ceiling(): void {
		$none = static fn( int $max ): int => 0;
		$all  = static fn( int $max ): int => $max;
		$this->assertSame( 7, Backoff::delay( 1, null, $none ) );
		$this->assertSame( 15, Backoff::delay( 1, null, $all ) );
		$this->assertSame( 15, Backoff::delay( 2, null, $none ) );
		$this->assertSame( 30, Backoff::delay( 2, null, $all ) );
		$this->assertSame( 60, Backoff::delay( 3, null, $all ) );
		$this->assertSame( 1800, Backoff::delay( 30, null, $none ), 'capped at one hour' );
		$this->assertSame( 3600, Backoff::delay( 30, null, $all ) );
		$this->assertSame( 7, Backoff::delay( 0, null, $none ), 'attempts below 1 count as the first' );
	}

	public function test_random_jitter_stays_within_bounds(): void {
		for ( $i = 0; $i < 200; $i++ ) {
			$delay = Backoff::delay( 4 );
			$this->assertGreaterThanOrEqual( 60, $delay );
			$this->assertLessThanOrEqual( 120, $delay );
		}
	}

	public function test_retry_after_is_a_floor_with_a_cap(): void {
		$none = static fn( int $max ): int => 0;
		$this->assertSame( 120, Backoff::delay( 1, 120, $none ) );
		$this->assertSame( 7, Backoff::delay( 1, 3, $none ), 'a shorter Retry-After does not shorten the backoff' );
		$this->assertSame( Backoff::MAX_RETRY_AFTER, Backoff::delay( 1, 10 * 86400, $none ) );
	}
}
