<?php
/**
 * Runs snippets of JavaScript with Node, to check the inline scripts the plugin prints.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Support;

/**
 * Node runner (Node 20 is part of the project's toolchain).
 */
final class Node {

	/**
	 * Path of node, or '' when it is not installed.
	 *
	 * @return string
	 */
	public static function binary(): string {
		foreach ( explode( PATH_SEPARATOR, (string) getenv( 'PATH' ) ) as $dir ) {
			if ( '' !== $dir && is_executable( $dir . '/node' ) ) {
				return $dir . '/node';
			}
		}
		return '';
	}

	/**
	 * Runs $js and returns its standard output.
	 *
	 * @param string $js Script.
	 * @return string
	 * @throws \RuntimeException When node fails.
	 */
	public static function run( string $js ): string {
		$process = proc_open(
			array( self::binary(), '-e', $js ),
			array(
				1 => array( 'pipe', 'w' ),
				2 => array( 'pipe', 'w' ),
			),
			$pipes
		);
		if ( ! is_resource( $process ) ) {
			throw new \RuntimeException( 'could not start node' );
		}
		$out = (string) stream_get_contents( $pipes[1] );
		$err = (string) stream_get_contents( $pipes[2] );
		fclose( $pipes[1] );
		fclose( $pipes[2] );
		if ( 0 !== proc_close( $process ) ) {
			throw new \RuntimeException( "node failed: $err" );
		}
		return $out;
	}
}
