<?php
/**
 * Removal of everything LayerSync stored.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal;

use LayerSync\Internal\Forms\FormsSettings;
use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Privacy\PersonalData;
use LayerSync\Internal\Outbox\OutboxTable;

/**
 * Run by uninstall.php when the plugin is deleted: drops the outbox table, deletes the options
 * and unschedules the drains — on every site of a multisite network.
 *
 * @since 0.1.0
 */
final class Uninstaller {

	/**
	 * Cleans up the current site, or every site of a network.
	 */
	public static function run(): void {
		if ( ! is_multisite() ) {
			self::clean_site();
			return;
		}
		foreach ( get_sites(
			array(
				'fields' => 'ids',
				'number' => 0,
			)
		) as $site_id ) {
			switch_to_blog( (int) $site_id );
			self::clean_site();
			restore_current_blog();
		}
	}

	/**
	 * Cleans up the current site.
	 */
	public static function clean_site(): void {
		( new DrainScheduler() )->unschedule_all();
		OutboxTable::drop();
		foreach ( Settings::option_names() as $option ) {
			delete_option( $option );
		}
		// State kept by the drain, lead forms and privacy requests.
		foreach ( array( Drainer::OPTION_STATE, Drainer::OPTION_EVICTED, FormsSettings::OPTION, PersonalData::OPTION_PENDING ) as $option ) {
			delete_option( $option );
		}
		wp_clear_scheduled_hook( PersonalData::RETRY_HOOK );
	}
}
