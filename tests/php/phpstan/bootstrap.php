<?php
/**
 * Constants that plugin/layersync.php defines at run time, for PHPStan (which reads the code
 * without running it). Values mirror the plugin header.
 *
 * @package LayerSync
 */

define( 'LAYERSYNC_VERSION', '0.1.0' );
define( 'LAYERSYNC_FILE', dirname( __DIR__, 3 ) . '/plugin/layersync.php' );
define( 'LAYERSYNC_MIN_PHP', '8.1' );
define( 'LAYERSYNC_MIN_WP', '6.5' );
define( 'LAYERSYNC_MIN_WC', '8.5' );

// WordPress core constants the stubs do not declare.
define( 'ABSPATH', '/var/www/wordpress/' );
define( 'ARRAY_A', 'ARRAY_A' );
define( 'OBJECT_K', 'OBJECT_K' );
define( 'WP_CONTENT_DIR', ABSPATH . 'wp-content' );
define( 'WP_DEBUG_LOG', false );
