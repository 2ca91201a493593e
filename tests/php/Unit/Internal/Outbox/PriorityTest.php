<?php
/**
 * Delivery priority and retention per event name.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Outbox;

use LayerSync\Internal\Outbox\Priority;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

final class PriorityTest extends TestCase {

	/**
	 * Retention of an undelivered event: purchase/refund 30 days; add_to_cart, begin_checkout
	 * and lead 7 days; behavioural events 1 day.
	 *
	 * @param string $name Event name.
	 * @param int    $days Expected retention in days.
	 */
	#[DataProvider( 'retention_by_name' )]
	public function test_retention_by_event_name( string $name, int $days ): void {
		$this->assertSame( $days * 86400, Priority::retention_for_event( $name ) );
		$this->assertSame( $days * 86400, Priority::retention_seconds( Priority::for_event( $name ) ) );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{string, int}>
	 */
	public static function retention_by_name(): array {
		return array(
			'purchase'          => array( 'purchase', 30 ),
			'refund'            => array( 'refund', 30 ),
			'lead'              => array( 'lead', 7 ),
			'sign_up'           => array( 'sign_up', 7 ),
			'subscribe'         => array( 'subscribe', 7 ),
			'start_trial'       => array( 'start_trial', 7 ),
			'begin_checkout'    => array( 'begin_checkout', 7 ),
			'add_shipping_info' => array( 'add_shipping_info', 7 ),
			'add_payment_info'  => array( 'add_payment_info', 7 ),
			'add_to_cart'       => array( 'add_to_cart', 7 ),
			'remove_from_cart'  => array( 'remove_from_cart', 1 ),
			'view_cart'         => array( 'view_cart', 1 ),
			'view_item'         => array( 'view_item', 1 ),
			'view_item_list'    => array( 'view_item_list', 1 ),
			'search'            => array( 'search', 1 ),
			'page_view'         => array( 'page_view', 1 ),
			'custom'            => array( 'custom:quiz_done', 1 ),
		);
	}

	public function test_money_drains_first_and_behaviour_last(): void {
		$this->assertSame( Priority::MONEY, Priority::for_event( 'purchase' ) );
		$this->assertSame( Priority::MONEY, Priority::for_event( 'refund' ) );
		$this->assertLessThan( Priority::for_event( 'begin_checkout' ), Priority::for_event( 'lead' ) );
		$this->assertLessThanOrEqual( Priority::LAST_FUNNEL, Priority::for_event( 'add_to_cart' ) );
		$this->assertGreaterThan( Priority::LAST_FUNNEL, Priority::for_event( 'custom:quiz_done' ) );
		$this->assertSame( 50, Priority::for_event( 'page_view' ) );
		foreach ( array( 'purchase', 'lead', 'add_to_cart', 'view_cart', 'view_item', 'page_view' ) as $name ) {
			$this->assertContains( Priority::for_event( $name ), Priority::ALL );
		}
	}

	public function test_retention_tiers_group_every_event_by_how_long_it_is_kept(): void {
		$tiers = Priority::retention_tiers();
		$this->assertSame( array( 30 * 86400, 7 * 86400, 86400 ), array_column( $tiers, 'seconds' ) );
		$this->assertSame( array( false, true, true ), array_column( $tiers, 'evictable' ), 'purchases and refunds are never evicted' );
		$this->assertSame( array( false, false, true ), array_column( $tiers, 'custom' ) );
		$listed = array_merge( ...array_column( $tiers, 'events' ) );
		$this->assertSame( count( $listed ), count( array_unique( $listed ) ), 'each event in one tier' );
		foreach ( $tiers as $tier ) {
			foreach ( $tier['events'] as $name ) {
				$this->assertSame( Priority::retention_for_event( $name ), $tier['seconds'], $name );
			}
		}
		foreach ( array( 'purchase', 'refund', 'lead', 'sign_up', 'add_to_cart', 'view_item', 'page_view', 'search' ) as $name ) {
			$this->assertContains( $name, $listed );
		}
	}
}
