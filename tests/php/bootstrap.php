<?php
/**
 * PHPUnit bootstrap: Composer's autoloader for every suite; the harness WordPress only when the
 * integration suite is going to run.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

require_once dirname( __DIR__, 2 ) . '/vendor/autoload.php';

/**
 * Whether this PHPUnit run includes the integration suite: it is selected, a path inside it is
 * given, or no suite/path narrows the run (then both suites run).
 *
 * @param string[] $argv Command line.
 * @return bool
 */
function layersync_tests_need_wordpress( array $argv ): bool {
	$args     = array_slice( $argv, 1 );
	$selected = null;
	$paths    = array();
	foreach ( $args as $i => $arg ) {
		if ( '--testsuite' === $arg ) {
			$selected = (string) ( $args[ $i + 1 ] ?? '' );
		} elseif ( str_starts_with( $arg, '--testsuite=' ) ) {
			$selected = substr( $arg, strlen( '--testsuite=' ) );
		} elseif ( ! str_starts_with( $arg, '-' ) && file_exists( $arg ) && ! str_ends_with( $arg, '.xml' ) && ! str_ends_with( $arg, '.dist' ) ) {
			$paths[] = (string) realpath( $arg );
		}
	}
	if ( null !== $selected ) {
		return in_array( 'integration', array_map( 'trim', explode( ',', $selected ) ), true );
	}
	if ( array() !== $paths ) {
		foreach ( $paths as $path ) {
			if ( str_contains( $path, '/tests/php/Integration' ) || str_ends_with( $path, '/tests/php' ) ) {
				return true;
			}
		}
		return false;
	}
	return true;
}

if ( layersync_tests_need_wordpress( $_SERVER['argv'] ?? array() ) ) {
	require __DIR__ . '/Support/load-wordpress.php';
	\LayerSync\Tests\Integration\IntegrationTestCase::hold_wp_cron();
}
