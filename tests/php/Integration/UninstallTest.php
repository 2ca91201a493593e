<?php
/**
 * Uninstalling the plugin (plugin/uninstall.php).
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\OutboxTable;
use LayerSync\Internal\Settings;
use LayerSync\Plugin;

final class UninstallTest extends IntegrationTestCase {

	public function test_uninstall_removes_the_table_options_and_scheduled_drains(): void {
		global $wpdb;
		( new OutboxRepository() )->insert( 'evt-uninstall', 'lead', 10, '{}', time(), 3600 );
		update_option( Settings::OPTION_RELAY_URL, 'https://relay.example.com' );
		update_option( Settings::OPTION_SECRET, str_repeat( 's', 40 ), false );
		// State of the drain, lead-form settings and unconfirmed privacy deletions.
		update_option( \LayerSync\Internal\Outbox\Drainer::OPTION_STATE, array( 'last_run' => time() ), false );
		update_option( \LayerSync\Internal\Outbox\Drainer::OPTION_EVICTED, array( 'total' => 1 ), false );
		update_option( \LayerSync\Internal\Forms\FormsSettings::OPTION, array( 'cf7' => array( 'enabled' => false ) ), false );
		update_option( \LayerSync\Internal\Privacy\PersonalData::OPTION_PENDING, array( array( 'identifiers' => array( 'em' => str_repeat( 'a', 64 ) ) ) ), false );
		wp_schedule_single_event( time() + 600, \LayerSync\Internal\Privacy\PersonalData::RETRY_HOOK );
		$scheduler = new DrainScheduler();
		$scheduler->schedule_at( time() + 60 );
		$scheduler->ensure_recurring();

		if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
			define( 'WP_UNINSTALL_PLUGIN', 'layersync/layersync.php' );
		}
		try {
			include dirname( __DIR__, 3 ) . '/plugin/uninstall.php';

			$this->assertFalse( OutboxTable::exists() );
			$left = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( 'layersync_' ) . '%' ) );
			$this->assertSame( array(), $left );
			$this->assertFalse( wp_next_scheduled( DrainScheduler::HOOK_ASYNC ) );
			$this->assertFalse( wp_next_scheduled( DrainScheduler::HOOK_RECURRING ) );
			$this->assertFalse( wp_next_scheduled( \LayerSync\Internal\Privacy\PersonalData::RETRY_HOOK ) );
		} finally {
			// Put the site back as the rest of the suite (and the e2e run) expects it.
			Plugin::activate();
		}
		$this->assertTrue( OutboxTable::exists() );
	}
}
