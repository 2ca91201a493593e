<?php
/**
 * Helper process for the concurrent-claim test: loads the harness WordPress with its own
 * database connection, waits for a shared start time, claims outbox rows in small batches until
 * none is left, and prints the claimed event ids as JSON.
 *
 * Usage: php claim-worker.php <start unix time (float)> <batch size>
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

require dirname( __DIR__, 3 ) . '/vendor/autoload.php';
require __DIR__ . '/load-wordpress.php';

$layersync_start = (float) ( $argv[1] ?? 0 );
$layersync_batch = max( 1, (int) ( $argv[2] ?? 5 ) );
while ( microtime( true ) < $layersync_start ) {
	usleep( 1000 );
}

$layersync_outbox  = new \LayerSync\Internal\Outbox\OutboxRepository();
$layersync_claimed = array();
do {
	$layersync_claim = $layersync_outbox->claim( $layersync_batch, time() );
	foreach ( $layersync_claim['rows'] as $layersync_row ) {
		$layersync_claimed[] = $layersync_row['event_id'];
	}
	usleep( random_int( 0, 2000 ) );
} while ( array() !== $layersync_claim['rows'] );

echo wp_json_encode( $layersync_claimed );
