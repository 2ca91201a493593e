<?php
/**
 * PSR-4 autoloader for the `LayerSync\` namespace (src/). The shipped plugin has no Composer
 * vendor directory, so it carries this instead.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

defined( 'ABSPATH' ) || exit;

spl_autoload_register(
	static function ( string $class_name ): void {
		$prefix = 'LayerSync\\';
		if ( 0 !== strncmp( $class_name, $prefix, strlen( $prefix ) ) ) {
			return;
		}
		$relative = substr( $class_name, strlen( $prefix ) );
		// Class names map 1:1 onto paths; anything else (e.g. "..") is not ours to load.
		if ( 1 !== preg_match( '/^[A-Za-z0-9_\\\\]+$/', $relative ) ) {
			return;
		}
		$file = __DIR__ . '/src/' . str_replace( '\\', '/', $relative ) . '.php';
		if ( is_file( $file ) ) {
			require $file;
		}
	}
);
