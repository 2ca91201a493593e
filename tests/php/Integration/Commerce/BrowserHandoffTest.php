<?php
/**
 * The layersync_events cookie stays small and fresh.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\BrowserHandoff;
use LayerSync\Tests\Integration\IntegrationTestCase;

final class BrowserHandoffTest extends IntegrationTestCase {

	/**
	 * Cookies written: [name, value, expires].
	 *
	 * @var array<int, array{0: string, 1: string, 2: int}>
	 */
	private array $written = array();

	protected function setUp(): void {
		parent::setUp();
		unset( $_COOKIE[ BrowserHandoff::COOKIE ] );
	}

	protected function tearDown(): void {
		unset( $_COOKIE[ BrowserHandoff::COOKIE ] );
		parent::tearDown();
	}

	public function test_keeps_the_newest_entries_within_the_cookie_size(): void {
		$handoff = $this->handoff();
		for ( $i = 1; $i <= 8; $i++ ) {
			$handoff->hand_over( self::event( "evt-$i", str_repeat( 'Ä long product name ', 12 ) ) );
		}

		$this->assertNotSame( array(), $this->written );
		list( $name, $value, $expires ) = $this->written[ count( $this->written ) - 1 ];
		$this->assertSame( BrowserHandoff::COOKIE, $name );
		$this->assertEqualsWithDelta( time() + BrowserHandoff::LIFETIME, $expires, 5 );
		$this->assertLessThanOrEqual( BrowserHandoff::MAX_BYTES, strlen( rawurlencode( (string) $value ) ) );
		$ids = array_column( (array) json_decode( (string) $value, true ), 'event_id' );
		$this->assertLessThanOrEqual( BrowserHandoff::MAX_ENTRIES, count( $ids ) );
		$this->assertSame( 'evt-8', end( $ids ), 'newest last' );
		$this->assertCount( 8, $handoff->handed() );
	}

	public function test_a_single_huge_entry_keeps_its_id(): void {
		$this->handoff()->hand_over( self::event( 'evt-big', str_repeat( 'x', 250 ), 40 ) );

		$this->assertCount( 1, $this->written );
		$entries = (array) json_decode( $this->written[0][1], true );
		$this->assertSame( 'evt-big', $entries[0]['event_id'] );
		$this->assertArrayNotHasKey( 'commerce', $entries[0] );
	}

	public function test_stale_or_malformed_entries_are_dropped(): void {
		$_COOKIE[ BrowserHandoff::COOKIE ] = wp_slash(
			(string) wp_json_encode(
				array(
					array(
						'event_id'   => 'old',
						'event_name' => 'lead',
						'source'     => 'cf7:1',
						't'          => time() - BrowserHandoff::LIFETIME - 10,
					),
					array( 'event_id' => 'no-name' ),
					'garbage',
					array(
						'event_id'   => 'fresh',
						'event_name' => 'lead',
						'source'     => 'cf7:1',
						't'          => time(),
					),
				)
			)
		);

		$this->assertSame( array( 'fresh' ), array_column( $this->handoff()->pending(), 'event_id' ) );
	}

	/**
	 * A hand-off writing into $this->written.
	 *
	 * @return BrowserHandoff
	 */
	private function handoff(): BrowserHandoff {
		return new BrowserHandoff(
			function ( string $name, string $value, int $expires ): void {
				$this->written[] = array( $name, $value, $expires );
			}
		);
	}

	/**
	 * A recorded add_to_cart.
	 *
	 * @param string $event_id Event id.
	 * @param string $name     Product name.
	 * @param int    $lines    Cart lines.
	 * @return array<string, mixed>
	 */
	private static function event( string $event_id, string $name, int $lines = 1 ): array {
		return array(
			'event_id'   => $event_id,
			'event_name' => 'add_to_cart',
			'commerce'   => array(
				'value'    => 10,
				'currency' => 'EUR',
				'items'    => array_fill(
					0,
					$lines,
					array(
						'id'    => 'SKU',
						'name'  => $name,
						'price' => 10,
					)
				),
			),
		);
	}
}
