<?php
/**
 * Router for PHP's built-in server: serve files that exist, send everything else to WordPress,
 * so pretty permalinks and /wp-json/ work as they do behind Apache or nginx.
 */
$layersync_path = parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH );
$layersync_file = $_SERVER['DOCUMENT_ROOT'] . $layersync_path;
if ( '/' !== $layersync_path && is_file( $layersync_file ) ) {
	if ( str_ends_with( $layersync_file, '.php' ) ) {
		$_SERVER['SCRIPT_NAME']     = $layersync_path;
		$_SERVER['SCRIPT_FILENAME'] = $layersync_file;
		chdir( dirname( $layersync_file ) );
		require $layersync_file;
		return true;
	}
	return false;
}
if ( is_dir( $layersync_file ) && is_file( rtrim( $layersync_file, '/' ) . '/index.php' ) ) {
	$_SERVER['SCRIPT_NAME']     = rtrim( $layersync_path, '/' ) . '/index.php';
	$_SERVER['SCRIPT_FILENAME'] = rtrim( $layersync_file, '/' ) . '/index.php';
	chdir( rtrim( $layersync_file, '/' ) );
	require rtrim( $layersync_file, '/' ) . '/index.php';
	return true;
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
