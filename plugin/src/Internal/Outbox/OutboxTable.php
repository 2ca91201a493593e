<?php
/**
 * Schema of the outbox table.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Outbox;

/**
 * The outbox: one row per event waiting for (or done with) delivery to the relay.
 *
 * Created with dbDelta; the installed schema version lives in an option so upgrades run once.
 * Dated migrations for changes dbDelta cannot make (renames, data fixes) go in migrate(), each
 * guarded by a check that it is still needed, so a half-finished run can simply run again.
 *
 * @since 0.1.0
 */
final class OutboxTable {

	public const NAME           = 'layersync_outbox';
	public const VERSION        = '2026.11.23';
	public const VERSION_OPTION = 'layersync_outbox_db_version';

	/**
	 * Full table name with the site's prefix.
	 *
	 * @return string
	 */
	public static function name(): string {
		global $wpdb;
		return $wpdb->prefix . self::NAME;
	}

	/**
	 * Definition in the format dbDelta expects (two spaces after PRIMARY KEY, one index a line).
	 *
	 * Claiming scans `status_priority` in (priority, id) order and filters on next_attempt_at;
	 * `claim_token` finds a claimed batch; `status_claimed` finds stale claims;
	 * `status_expires` serves expiry and `status_created` purging.
	 *
	 * @return string
	 */
	public static function schema(): string {
		global $wpdb;
		$table   = self::name();
		$collate = $wpdb->get_charset_collate();
		return "CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  event_id varchar(128) NOT NULL,
  event_name varchar(64) NOT NULL,
  priority tinyint(3) unsigned NOT NULL DEFAULT 50,
  payload longtext NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'pending',
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  next_attempt_at datetime NOT NULL,
  last_error varchar(1000) DEFAULT NULL,
  claim_token char(36) DEFAULT NULL,
  claimed_at datetime DEFAULT NULL,
  created_at datetime NOT NULL,
  expires_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY event_id (event_id),
  KEY status_priority (status,priority,id),
  KEY claim_token (claim_token),
  KEY status_claimed (status,claimed_at),
  KEY status_expires (status,expires_at),
  KEY status_created (status,created_at)
) {$collate};";
	}

	/**
	 * Creates or upgrades the table to the current schema, then records the version.
	 */
	public static function install(): void {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		dbDelta( self::schema() );
		self::migrate();
		update_option( self::VERSION_OPTION, self::VERSION, true );
	}

	/**
	 * Runs install() when the stored schema version differs (plugin updated by replacing files,
	 * which runs no activation hook). One autoloaded option read per request when nothing to do.
	 */
	public static function maybe_upgrade(): void {
		if ( self::VERSION === get_option( self::VERSION_OPTION ) ) {
			return;
		}
		// Two requests may both see an old version; the lock keeps the upgrade to one of them.
		$lock = self::VERSION_OPTION . '_lock';
		if ( ! add_option( $lock, (string) time(), '', false ) ) {
			if ( (int) get_option( $lock ) > time() - 300 ) {
				return;
			}
			update_option( $lock, (string) time(), false );
			// A crashed upgrade left the lock behind.
		}
		try {
			self::install();
		} finally {
			delete_option( $lock );
		}
	}

	/**
	 * Whether the table exists.
	 *
	 * @return bool
	 */
	public static function exists(): bool {
		global $wpdb;
		$table = self::name();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching -- schema check, must see the live database.
		return $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
	}

	/**
	 * Drops the table and its version option (uninstall).
	 */
	public static function drop(): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.DirectDatabaseQuery.SchemaChange -- uninstall removes our own table.
		$wpdb->query( $wpdb->prepare( 'DROP TABLE IF EXISTS %i', self::name() ) );
		delete_option( self::VERSION_OPTION );
		delete_option( self::VERSION_OPTION . '_lock' );
	}

	/**
	 * Dated migrations that dbDelta cannot express. None yet: the first schema is 2026.11.23.
	 * Each future step checks its own precondition (e.g. a column still exists) before acting.
	 */
	private static function migrate(): void {
	}
}
