<?php
/**
 * Plugin Name: LayerSync bench helper
 * Description: Installed by bench/plugin.sh into the bench site only (never shipped). Lets one
 * request run with LayerSync switched off (header "X-Bench-Plugin: off"), so the plugin is
 * measured against itself deactivated in the same run, and logs every outbound HTTP call
 * (pre_http_request) made while serving a visitor request.
 *
 * @package LayerSync\Bench
 */

// phpcs:disable -- a benchmark fixture outside the plugin.

if ( isset( $_SERVER['HTTP_X_BENCH_PLUGIN'] ) && 'off' === $_SERVER['HTTP_X_BENCH_PLUGIN'] ) {
	add_filter(
		'option_active_plugins',
		static function ( $plugins ) {
			return array_values( array_diff( (array) $plugins, array( 'layersync/layersync.php' ) ) );
		}
	);
}

$GLOBALS['layersync_bench_http']  = array();
$GLOBALS['layersync_bench_start'] = array( hrtime( true ), getrusage() );

// Earliest priority: counted before anything could answer the request instead.
add_filter(
	'pre_http_request',
	static function ( $preempt, $args, $url ) {
		$GLOBALS['layersync_bench_http'][] = (string) $url;
		return $preempt;
	},
	-1000,
	3
);

// Last thing a request does (after LayerSync's own shutdown work).
add_action(
	'shutdown',
	static function () {
		// Time spent from here (just after WordPress loaded the must-use plugins, before any
		// regular plugin) to the end of the request: everything LayerSync could add. CPU time
		// (getrusage) does not grow when other processes compete for the machine; wall time does.
		list( $t0, $r0 ) = $GLOBALS['layersync_bench_start'];
		$r1              = getrusage();
		$cpu             = static fn( array $r ): float => $r['ru_utime.tv_sec'] * 1e6 + $r['ru_utime.tv_usec'] + $r['ru_stime.tv_sec'] * 1e6 + $r['ru_stime.tv_usec'];
		$uri             = isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : '';
		$visitor         = ! is_admin() && ! wp_doing_cron() && ! str_contains( $uri, 'wp-login.php' ) && ! str_contains( $uri, 'wp-cron.php' ) && ! is_user_logged_in();
		if ( ! $visitor && ! isset( $_SERVER['HTTP_X_BENCH_ID'] ) ) {
			return;
		}
		file_put_contents(
			WP_CONTENT_DIR . '/layersync-bench-http.log',
			json_encode(
				array(
					'id'      => isset( $_SERVER['HTTP_X_BENCH_ID'] ) ? (string) $_SERVER['HTTP_X_BENCH_ID'] : '',
					'method'  => isset( $_SERVER['REQUEST_METHOD'] ) ? (string) $_SERVER['REQUEST_METHOD'] : '',
					'uri'     => $uri,
					'visitor' => $visitor,
					'plugin'  => isset( $_SERVER['HTTP_X_BENCH_PLUGIN'] ) && 'off' === $_SERVER['HTTP_X_BENCH_PLUGIN'] ? 'off' : 'on',
					'wall_us' => (int) ( ( hrtime( true ) - $t0 ) / 1000 ),
					'cpu_us'  => (int) ( $cpu( $r1 ) - $cpu( $r0 ) ),
					'calls'   => $GLOBALS['layersync_bench_http'],
				)
			) . "\n",
			FILE_APPEND | LOCK_EX
		);
	},
	PHP_INT_MAX
);
