<?php
/**
 * Stand-in for the WP Consent API plugin's wp_has_consent() (same signature). Loaded only in a
 * separate process; the answers come from $GLOBALS['layersync_test_consent'].
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals -- the WP Consent API's own function name.

/**
 * Whether the visitor consented to a category.
 *
 * @param string      $category     functional, preferences, statistics, statistics-anonymous or marketing.
 * @param string|bool $requested_by Plugin asking.
 * @return bool
 */
function wp_has_consent( $category, $requested_by = false ) {
	return ! empty( $GLOBALS['layersync_test_consent'][ $category ] );
}
