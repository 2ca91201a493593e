<?php
/**
 * A stand-in relay for the drain's end-to-end HTTP test, run as a router by PHP's built-in
 * server: it verifies the signature over the raw body exactly as the relay does, records each
 * request (JSON lines in FAKE_RELAY_LOG), and answers like POST /v1/events.
 *
 * Environment: FAKE_RELAY_SECRET, FAKE_RELAY_LOG.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

// phpcs:disable WordPress.Security, WordPress.WP.AlternativeFunctions -- a test server outside WordPress.

$layersync_body   = (string) file_get_contents( 'php://input' );
$layersync_header = static fn( string $name ): string => (string) ( $_SERVER[ 'HTTP_' . strtoupper( str_replace( '-', '_', $name ) ) ] ?? '' );
$layersync_signed = 'v1=' . hash_hmac(
	'sha256',
	$layersync_header( 'X-LayerSync-Request-Id' ) . '.' . $layersync_header( 'X-LayerSync-Timestamp' ) . '.' . $layersync_body,
	(string) getenv( 'FAKE_RELAY_SECRET' )
);
$layersync_valid  = hash_equals( $layersync_signed, $layersync_header( 'X-LayerSync-Signature' ) );

file_put_contents(
	(string) getenv( 'FAKE_RELAY_LOG' ),
	json_encode(
		array(
			'method'       => $_SERVER['REQUEST_METHOD'] ?? '',
			'path'         => $_SERVER['REQUEST_URI'] ?? '',
			'content_type' => $_SERVER['CONTENT_TYPE'] ?? ( $_SERVER['HTTP_CONTENT_TYPE'] ?? '' ),
			'site'         => $layersync_header( 'X-LayerSync-Site' ),
			'signature_ok' => $layersync_valid,
			'body'         => $layersync_body,
		)
	) . "\n",
	FILE_APPEND
);

header( 'Content-Type: application/json' );
if ( '/v1/privacy/delete' === ( $_SERVER['REQUEST_URI'] ?? '' ) ) {
	// Signed like ingest (docs/CONTRACT.md, "Privacy delete").
	$layersync_ids = json_decode( $layersync_body, true );
	if ( ! $layersync_valid ) {
		http_response_code( 401 );
		echo '{"error":"bad_signature","message":"the signature does not match"}';
	} elseif ( ! is_array( $layersync_ids ) || array() === array_intersect_key( $layersync_ids, array_flip( array( 'external_id', 'em', 'ph' ) ) ) ) {
		http_response_code( 400 );
		echo '{"error":"invalid_body","message":"give at least one of external_id, em, ph"}';
	} else {
		http_response_code( 200 );
		echo '{"deleted":3}';
	}
	return true;
}
if ( '/v1/events' !== ( $_SERVER['REQUEST_URI'] ?? '' ) ) {
	http_response_code( 404 );
	echo '{"message":"not found"}';
	return true;
}
if ( ! $layersync_valid ) {
	http_response_code( 401 );
	echo '{"error":"bad_signature","message":"the signature does not match"}';
	return true;
}
$layersync_events = json_decode( $layersync_body, true )['events'] ?? array();
if ( array() === $layersync_events ) {
	http_response_code( 400 );
	echo '{"error":"invalid_body","message":"events must contain at least one event"}';
	return true;
}
$layersync_results = array();
foreach ( $layersync_events as $layersync_index => $layersync_event ) {
	$layersync_results[] = array(
		'index'    => $layersync_index,
		'event_id' => $layersync_event['event_id'] ?? null,
		'status'   => 'accepted',
	);
}
http_response_code( 202 );
echo json_encode(
	array(
		'accepted'  => count( $layersync_results ),
		'duplicate' => 0,
		'rejected'  => 0,
		'results'   => $layersync_results,
	)
);
return true;
