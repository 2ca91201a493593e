<?php
/**
 * Runs when the plugin is deleted from wp-admin: removes the outbox table, the options and the
 * scheduled drains. Deactivating alone keeps everything.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/autoload.php';

\LayerSync\Internal\Uninstaller::run();
