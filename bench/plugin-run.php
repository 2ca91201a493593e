<?php
/**
 * The measuring half of bench/plugin.sh: sequential requests to the bench site with LayerSync on
 * and off (header X-Bench-Plugin: off, honoured by bench/plugin-mu.php), interleaved in random
 * order in the same run so both modes see the same machine state. Reports medians, p90, the
 * added time (median on − median off) and the ratio, checks the targets, and reads the outbound
 * HTTP log the mu-plugin wrote for every visitor request.
 *
 * Environment: WP_URL, WP_DIR, BENCH_SETUP (JSON from plugin-setup.php), BENCH_RUNS (default
 * 300), BENCH_WARMUP (default 30), BENCH_JSON (optional path for machine-readable results).
 * Exit code: 0 = measured (targets met or not), 1 = the bench broke, 2 = a visitor request made
 * an outbound HTTP call (the one policy the bench asserts).
 *
 * @package LayerSync\Bench
 */

// phpcs:disable -- a benchmark script outside the plugin.

$base   = rtrim( (string) getenv( 'WP_URL' ), '/' );
$wp_dir = (string) getenv( 'WP_DIR' );
$setup  = json_decode( (string) getenv( 'BENCH_SETUP' ), true );
$runs   = max( 20, (int) ( getenv( 'BENCH_RUNS' ) ?: 300 ) );
$warmup = max( 0, (int) ( getenv( 'BENCH_WARMUP' ) ?: 30 ) );
$log    = $wp_dir . '/wp-content/layersync-bench-http.log';
if ( '' === $base || ! is_array( $setup ) || empty( $setup['layersync'] ) ) {
	fwrite( STDERR, "bench: WP_URL / BENCH_SETUP missing or LayerSync not active\n" );
	exit( 1 );
}

/**
 * One request; returns [seconds, status, body]. $id tags it for the server-side timing log.
 */
function bench_request( string $method, string $url, bool $plugin, ?string $body = null, array $headers = array(), ?string $cookie_jar = null, string $id = '' ): array {
	$ch = curl_init( $url );
	$h  = array_merge( $headers, array( 'X-Bench-Plugin: ' . ( $plugin ? 'on' : 'off' ), 'User-Agent: LayerSyncBench/1.0' ) );
	if ( '' !== $id ) {
		$h[] = 'X-Bench-Id: ' . $id;
	}
	curl_setopt_array(
		$ch,
		array(
			CURLOPT_CUSTOMREQUEST  => $method,
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_HTTPHEADER     => $h,
			CURLOPT_TIMEOUT        => 30,
			CURLOPT_FOLLOWLOCATION => false,
		)
	);
	if ( null !== $body ) {
		curl_setopt( $ch, CURLOPT_POSTFIELDS, $body );
	}
	if ( null !== $cookie_jar ) {
		curl_setopt( $ch, CURLOPT_COOKIEJAR, $cookie_jar );
		curl_setopt( $ch, CURLOPT_COOKIEFILE, $cookie_jar );
	}
	$response = curl_exec( $ch );
	if ( false === $response ) {
		fwrite( STDERR, 'bench: request failed: ' . curl_error( $ch ) . " ($url)\n" );
		exit( 1 );
	}
	$time   = curl_getinfo( $ch, CURLINFO_TOTAL_TIME_T ) / 1e6;
	$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
	curl_close( $ch );
	return array( $time, $status, (string) $response );
}

function bench_uuid7(): string {
	$ms    = (int) floor( microtime( true ) * 1000 );
	$bytes = substr( pack( 'J', $ms ), 2, 6 ) . random_bytes( 10 );
	$bytes[6] = chr( ( ord( $bytes[6] ) & 0x0f ) | 0x70 );
	$bytes[8] = chr( ( ord( $bytes[8] ) & 0x3f ) | 0x80 );
	$hex = bin2hex( $bytes );
	return substr( $hex, 0, 8 ) . '-' . substr( $hex, 8, 4 ) . '-' . substr( $hex, 12, 4 ) . '-' . substr( $hex, 16, 4 ) . '-' . substr( $hex, 20, 12 );
}

function bench_percentile( array $values, float $p ): float {
	sort( $values );
	$index = ( count( $values ) - 1 ) * $p;
	$low   = (int) floor( $index );
	$high  = (int) ceil( $index );
	return $values[ $low ] + ( $values[ $high ] - $values[ $low ] ) * ( $index - $low );
}

/**
 * Measures one scenario: $request( bool $plugin, string $id ) returns [seconds, status]; on and
 * off alternate in random order within each pair, after a warm-up of both. Returns the client
 * times and the request ids (to join the server-side log) per pair.
 */
function bench_scenario( string $label, callable $request, array $expect, int $runs, int $warmup ): array {
	foreach ( array( true, false ) as $plugin ) {
		for ( $i = 0; $i < $warmup; $i++ ) {
			$request( $plugin, '' );
		}
	}
	$pairs = array();
	for ( $i = 0; $i < $runs; $i++ ) {
		$order = 0 === random_int( 0, 1 ) ? array( true, false ) : array( false, true );
		$pair  = array();
		foreach ( $order as $plugin ) {
			$mode                  = $plugin ? 'on' : 'off';
			$id                    = md5( $label ) . "-$i-$mode";
			list( $time, $status ) = $request( $plugin, $id );
			if ( $status !== $expect[ $mode ] ) {
				fwrite( STDERR, "bench: $label answered HTTP $status with LayerSync $mode (expected {$expect[ $mode ]})\n" );
				exit( 1 );
			}
			$pair[ $mode ] = array(
				'id'        => $id,
				'client_ms' => $time * 1000,
			);
		}
		$pairs[] = $pair;
	}
	return array(
		'label' => $label,
		'runs'  => $runs,
		'pairs' => $pairs,
	);
}

/**
 * Medians per mode, and the added time as the median of paired differences (robust to drift
 * and to load from other processes, since each pair runs back to back).
 *
 * @param array<int, array<string, array<string, float|string>>> $pairs  Pairs.
 * @param array<string, array{wall_us: int, cpu_us: int}>         $server Server log by id.
 * @param string                                                   $metric client_ms, wall_ms or cpu_ms.
 * @return array{on: float, off: float, p90_on: float, p90_off: float, added: float, ratio: float}|null
 */
function bench_stats( array $pairs, array $server, string $metric ): ?array {
	$on    = array();
	$off   = array();
	$diffs = array();
	foreach ( $pairs as $pair ) {
		$values = array();
		foreach ( array( 'on', 'off' ) as $mode ) {
			if ( 'client_ms' === $metric ) {
				$values[ $mode ] = (float) $pair[ $mode ]['client_ms'];
				continue;
			}
			$row = $server[ $pair[ $mode ]['id'] ] ?? null;
			if ( null === $row ) {
				continue 2;
			}
			$values[ $mode ] = ( 'wall_ms' === $metric ? $row['wall_us'] : $row['cpu_us'] ) / 1000;
		}
		$on[]    = $values['on'];
		$off[]   = $values['off'];
		$diffs[] = $values['on'] - $values['off'];
	}
	if ( count( $diffs ) < 10 ) {
		return null;
	}
	$median_on  = bench_percentile( $on, 0.5 );
	$median_off = bench_percentile( $off, 0.5 );
	return array(
		'on'      => round( $median_on, 3 ),
		'off'     => round( $median_off, 3 ),
		'p90_on'  => round( bench_percentile( $on, 0.9 ), 3 ),
		'p90_off' => round( bench_percentile( $off, 0.9 ), 3 ),
		'added'   => round( bench_percentile( $diffs, 0.5 ), 3 ),
		'ratio'   => round( $median_on / max( 0.001, $median_off ), 3 ),
	);
}

@unlink( $log );
$results = array();

// 1. Pages a visitor loads.
$pages = array( 'front page' => $base . '/' );
if ( ! empty( $setup['product_url'] ) ) {
	$pages['product page'] = (string) $setup['product_url'];
} else {
	$pages['single post'] = (string) $setup['post_url'];
}
foreach ( $pages as $label => $url ) {
	$results[ $label ] = bench_scenario(
		$label,
		static fn( bool $plugin, string $id ) => bench_request( 'GET', $url, $plugin, null, array(), null, $id ),
		array( 'on' => 200, 'off' => 200 ),
		$runs,
		$warmup
	);
	$results[ $label ]['target_ms'] = 3.0;
}

// 2. The tracker's POST: one page_view per request, a fresh event id each time. With the plugin
// off the route does not exist (404): the difference is what the route costs on top of a
// WordPress REST request.
$event = static function (): string {
	return json_encode(
		array(
			'events' => array(
				array(
					'event_id'   => bench_uuid7(),
					'event_name' => 'page_view',
					'event_time' => time(),
					'context'    => array( 'url' => 'http://127.0.0.1/bench/', 'locale' => 'en-US' ),
					'identity'   => array( 'fbp' => 'fb.1.1732390000000.1234567890' ),
					'consent'    => array(
						'ad_storage'         => 'granted',
						'analytics_storage'  => 'granted',
						'ad_user_data'       => 'granted',
						'ad_personalization' => 'granted',
						'do_not_sell'        => false,
					),
				),
			),
		)
	);
};
$results['REST event POST'] = bench_scenario(
	'REST event POST',
	static fn( bool $plugin, string $id ) => bench_request( 'POST', $base . '/wp-json/layersync/v1/events', $plugin, $event(), array( 'Content-Type: application/json' ), null, $id ),
	array( 'on' => 202, 'off' => 404 ),
	$runs,
	$warmup
);

// 3. Checkout order processing (WooCommerce only): a fresh cart per order, then the timed POST.
if ( ! empty( $setup['woocommerce'] ) && ! empty( $setup['checkout_url'] ) ) {
	$checkout_runs = max( 20, intdiv( $runs, 5 ) );
	$order         = static function ( bool $plugin, string $id ) use ( $base, $setup ): array {
		$jar = (string) tempnam( sys_get_temp_dir(), 'lsbench' );
		bench_request( 'POST', $base . '/?wc-ajax=add_to_cart', $plugin, http_build_query( array( 'product_id' => $setup['product_id'], 'quantity' => 1 ) ), array( 'Content-Type: application/x-www-form-urlencoded' ), $jar );
		list( , , $page ) = bench_request( 'GET', (string) $setup['checkout_url'], $plugin, null, array(), $jar );
		if ( 1 !== preg_match( '/name="woocommerce-process-checkout-nonce" value="([^"]+)"/', $page, $m ) ) {
			fwrite( STDERR, "bench: no checkout nonce on the checkout page\n" );
			exit( 1 );
		}
		$fields = array(
			'billing_first_name'                  => 'Bench',
			'billing_last_name'                   => 'Buyer',
			'billing_country'                     => 'US',
			'billing_address_1'                   => '1 Main St',
			'billing_city'                        => 'Springfield',
			'billing_state'                       => 'IL',
			'billing_postcode'                    => '62701',
			'billing_phone'                       => '2175550100',
			'billing_email'                       => 'bench@example.com',
			'payment_method'                      => 'cod',
			'woocommerce-process-checkout-nonce'  => $m[1],
			'_wp_http_referer'                    => '/checkout/',
		);
		$timed  = bench_request( 'POST', $base . '/?wc-ajax=checkout', $plugin, http_build_query( $fields ), array( 'Content-Type: application/x-www-form-urlencoded' ), $jar, $id );
		$result = json_decode( $timed[2], true );
		@unlink( $jar );
		return array( $timed[0], is_array( $result ) && 'success' === ( $result['result'] ?? '' ) ? 200 : 500 );
	};
	$results['checkout order processing']              = bench_scenario( 'checkout order processing', $order, array( 'on' => 200, 'off' => 200 ), $checkout_runs, 3 );
	$results['checkout order processing']['target_ms'] = 10.0;
}

// 4. The server-side log: timing per tagged request, outbound HTTP per visitor request.
$lines    = is_file( $log ) ? file( $log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ) : array();
$server   = array();
$visitors = array(
	'on'  => 0,
	'off' => 0,
);
$calls    = array(
	'on'  => array(),
	'off' => array(),
);
foreach ( is_array( $lines ) ? $lines : array() as $line ) {
	$entry = json_decode( $line, true );
	if ( ! is_array( $entry ) ) {
		continue;
	}
	if ( '' !== $entry['id'] ) {
		$server[ $entry['id'] ] = array(
			'wall_us' => (int) $entry['wall_us'],
			'cpu_us'  => (int) $entry['cpu_us'],
		);
	}
	if ( ! $entry['visitor'] ) {
		continue;
	}
	++$visitors[ $entry['plugin'] ];
	foreach ( $entry['calls'] as $url ) {
		$calls[ $entry['plugin'] ][] = $entry['method'] . ' ' . $entry['uri'] . ' -> ' . $url;
	}
}

// Report.
$load = sys_getloadavg();
printf( "\nLayerSync plugin bench — %s, %d interleaved pairs per scenario (after %d warm-up requests per mode), sequential, OPcache %s, load average %.2f\n", $base, $runs, $warmup, getenv( 'BENCH_OPCACHE' ) ?: 'unknown', is_array( $load ) ? $load[0] : 0 );
echo "added = median of paired differences (on − off); ratio = median on / median off\n";
echo "client = whole request seen by curl; php = WordPress from loading plugins to the end of the request; cpu = CPU time of that part\n\n";
printf( "%-27s %-7s %10s %10s %10s %10s %9s %8s  %s\n", 'scenario', 'metric', 'median on', 'median off', 'p90 on', 'p90 off', 'added', 'ratio', 'target' );
$report = array();
foreach ( $results as $key => $r ) {
	$target = $r['target_ms'] ?? null;
	foreach ( array( 'client' => 'client_ms', 'php' => 'wall_ms', 'cpu' => 'cpu_ms' ) as $name => $metric ) {
		$stats = bench_stats( $r['pairs'], $server, $metric );
		if ( null === $stats ) {
			printf( "%-27s %-7s %s\n", $r['label'], $name, 'no server-side samples' );
			continue;
		}
		$report[ $key ][ $name ] = $stats;
		$verdict                 = null === $target ? '-' : sprintf( '≤%g ms %s', $target, $stats['added'] <= $target ? 'PASS' : 'FAIL' );
		printf( "%-27s %-7s %7.2f ms %7.2f ms %7.2f ms %7.2f ms %6.2f ms %7.3fx  %s\n", 'client' === $name ? $r['label'] : '', $name, $stats['on'], $stats['off'], $stats['p90_on'], $stats['p90_off'], $stats['added'], $stats['ratio'], $verdict );
	}
	$report[ $key ]['target_ms'] = $target;
}
if ( empty( $setup['woocommerce'] ) ) {
	printf( "%-27s %s\n", 'product page', 'not measurable without WooCommerce (a single post was measured instead)' );
	printf( "%-27s %s\n", 'checkout order processing', 'not measurable without WooCommerce (target ≤10 ms; give LAYERSYNC_WOOCOMMERCE_DIR)' );
}
$total_on = count( $calls['on'] );
printf( "\noutbound HTTP calls during visitor requests: %d in %d requests with LayerSync on, %d in %d with it off — assert 0: %s\n", $total_on, $visitors['on'], count( $calls['off'] ), $visitors['off'], 0 === $total_on ? 'PASS' : 'FAIL' );
foreach ( array_slice( $calls['on'], 0, 10 ) as $call ) {
	echo "  $call\n";
}

$json = getenv( 'BENCH_JSON' );
if ( is_string( $json ) && '' !== $json ) {
	file_put_contents(
		$json,
		json_encode(
			array(
				'results'            => $report,
				'outbound_http_on'   => $total_on,
				'visitor_requests'   => $visitors,
				'woocommerce'        => ! empty( $setup['woocommerce'] ),
			),
			JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES
		)
	);
}
if ( 0 === $visitors['on'] ) {
	fwrite( STDERR, "bench: the bench mu-plugin logged no visitor request; is it installed?\n" );
	exit( 1 );
}
exit( 0 === $total_on ? 0 : 2 );
