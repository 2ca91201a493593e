<?php
/**
 * Stand-in for WooCommerce's FeaturesUtil (WooCommerce is not installable here). Loaded only
 * inside a test that runs in a separate process; declarations are recorded in
 * $GLOBALS['layersync_test_wc_declared'].
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace Automattic\WooCommerce\Utilities;

/**
 * Records compatibility declarations.
 */
class FeaturesUtil {

	/**
	 * Stand-in.
	 *
	 * @param string $feature_id  Feature.
	 * @param string $plugin_file Plugin file.
	 * @param bool   $positive    Compatible or not.
	 * @return bool
	 */
	public static function declare_compatibility( string $feature_id, string $plugin_file, bool $positive = true ): bool {
		$GLOBALS['layersync_test_wc_declared'][] = array( $feature_id, $plugin_file, $positive );
		return true;
	}
}
