<?php
/**
 * Tools → Site Health tests.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Health;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Privacy\PersonalData;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Settings;
use WP_REST_Server;

/**
 * Three tests in Tools → Site Health:
 * - "LayerSync relay" (async, so the page never waits on the network): a signed probe — an
 *   empty, correctly signed ingest request that the relay checks and stores nothing for;
 *   served by `GET /layersync/v1/admin/health/relay` and run directly (async_direct_test) by
 *   WordPress's scheduled Site Health check;
 * - "LayerSync outbox backlog": events still waiting more than BACKLOG_MINUTES after they were
 *   recorded, plus any events the size cap removed and privacy deletions the relay has not
 *   confirmed;
 * - "LayerSync delivery": when the relay last accepted events, and whether drains run at all
 *   (with DISABLE_WP_CRON, the site's system cron must call wp-cron.php).
 *
 * @since 0.1.0
 */
final class SiteHealth {

	public const NAMESPACE = 'layersync/v1';
	public const ROUTE     = '/admin/health/relay';

	/**
	 * Waiting longer than this counts as backlog.
	 */
	public const BACKLOG_MINUTES = 15;

	/**
	 * A backlog this large is critical.
	 */
	public const BACKLOG_CRITICAL = 1000;

	/**
	 * Without a successful delivery for this long while events wait, drains are not running.
	 */
	public const STALLED_MINUTES = 30;

	/**
	 * Outbox.
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Relay client.
	 *
	 * @var RelayClient
	 */
	private RelayClient $relay;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Constructor.
	 *
	 * @param OutboxRepository $outbox   Outbox.
	 * @param RelayClient      $relay    Relay client.
	 * @param Settings         $settings Settings.
	 */
	public function __construct( OutboxRepository $outbox, RelayClient $relay, Settings $settings ) {
		$this->outbox   = $outbox;
		$this->relay    = $relay;
		$this->settings = $settings;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_filter( 'site_status_tests', array( $this, 'add_tests' ) );
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Adds the tests.
	 *
	 * @param mixed $tests Tests by type (direct, async).
	 * @return mixed
	 */
	public function add_tests( $tests ) {
		if ( ! is_array( $tests ) ) {
			return $tests;
		}
		$tests['direct']['layersync_outbox_backlog'] = array(
			'label' => __( 'LayerSync outbox backlog', 'layersync' ),
			'test'  => array( $this, 'test_backlog' ),
		);
		$tests['direct']['layersync_drain']          = array(
			'label' => __( 'LayerSync delivery', 'layersync' ),
			'test'  => array( $this, 'test_drain' ),
		);
		$tests['async']['layersync_relay']           = array(
			'label'             => __( 'LayerSync relay', 'layersync' ),
			'test'              => rest_url( self::NAMESPACE . self::ROUTE ),
			'has_rest'          => true,
			'async_direct_test' => array( $this, 'test_relay' ),
		);
		return $tests;
	}

	/**
	 * Registers the REST route the Site Health screen calls for the async test.
	 */
	public function register_routes(): void {
		register_rest_route(
			self::NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( $this, 'test_relay' ),
				'permission_callback' => static fn(): bool => current_user_can( 'view_site_health_checks' ),
				'args'                => array(),
			)
		);
	}

	/**
	 * Relay reachable, and does it accept this site's signature?
	 *
	 * @return array<string, mixed> Site Health result.
	 */
	public function test_relay(): array {
		if ( ! $this->settings->is_connected() ) {
			return self::result(
				'layersync_relay',
				'recommended',
				__( 'LayerSync is not connected to a relay', 'layersync' ),
				__( 'Events are kept in the outbox but not delivered until you enter the relay URL, the site id and the secret in the LayerSync settings.', 'layersync' )
			);
		}
		$probe = $this->relay->test_connection();
		if ( $probe['ok'] ) {
			return self::result( 'layersync_relay', 'good', __( 'The LayerSync relay is reachable and accepts this site', 'layersync' ), $probe['message'] );
		}
		return self::result(
			'layersync_relay',
			'critical',
			__( 'The LayerSync relay cannot be used', 'layersync' ),
			$probe['message'] . ' ' . __( 'Events wait in the outbox and are delivered once the relay answers.', 'layersync' )
		);
	}

	/**
	 * Events waiting longer than BACKLOG_MINUTES, evictions, unconfirmed privacy deletions.
	 *
	 * @return array<string, mixed> Site Health result.
	 */
	public function test_backlog(): array {
		$waiting = $this->outbox->count_pending_before( time() - self::BACKLOG_MINUTES * 60 );
		$notes   = array();
		$evicted = get_option( Drainer::OPTION_EVICTED );
		if ( is_array( $evicted ) && ! empty( $evicted['total'] ) ) {
			$notes[] = sprintf(
				/* translators: 1: number of events, 2: date */
				__( 'The outbox size cap has removed %1$d undelivered or finished events so far (last on %2$s); purchases and refunds are never removed.', 'layersync' ),
				(int) $evicted['total'],
				wp_date( (string) get_option( 'date_format' ) . ' ' . (string) get_option( 'time_format' ), (int) ( $evicted['last_at'] ?? 0 ) )
			);
		}
		$privacy = count( PersonalData::pending() );
		if ( $privacy > 0 ) {
			$notes[] = sprintf(
				/* translators: %d: number of requests */
				_n( '%d personal-data deletion waits for the relay to confirm it.', '%d personal-data deletions wait for the relay to confirm them.', $privacy, 'layersync' ),
				$privacy
			);
		}
		if ( 0 === $waiting ) {
			return self::result(
				'layersync_outbox_backlog',
				array() === $notes ? 'good' : 'recommended',
				__( 'LayerSync delivers events without a backlog', 'layersync' ),
				implode( ' ', array_merge( array( __( 'No event has waited in the outbox for more than 15 minutes.', 'layersync' ) ), $notes ) )
			);
		}
		return self::result(
			'layersync_outbox_backlog',
			$waiting >= self::BACKLOG_CRITICAL ? 'critical' : 'recommended',
			/* translators: %d: number of events */
			sprintf( _n( '%d LayerSync event has waited more than 15 minutes', '%d LayerSync events have waited more than 15 minutes', $waiting, 'layersync' ), $waiting ),
			implode(
				' ',
				array_merge(
					array( __( 'Events are delivered in the background and retried with backoff while the relay is unreachable. Check the relay test below and the LayerSync outbox screen for the last error of each event.', 'layersync' ) ),
					$notes
				)
			)
		);
	}

	/**
	 * When did the relay last accept events, and are drains running?
	 *
	 * @return array<string, mixed> Site Health result.
	 */
	public function test_drain(): array {
		$state   = Drainer::state();
		$now     = time();
		$waiting = $this->outbox->count_pending_before( $now - self::STALLED_MINUTES * 60 );
		$last    = 0 === $state['last_success']
			? __( 'The relay has not accepted any event from this site yet.', 'layersync' )
			/* translators: %s: time span, e.g. "5 mins" */
			: sprintf( __( 'The relay last accepted events %s ago.', 'layersync' ), human_time_diff( $state['last_success'], $now ) );
		$cron    = defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON
			? __( 'WP-Cron is disabled on this site (DISABLE_WP_CRON): the system cron must call wp-cron.php, ideally every minute, or events are never delivered.', 'layersync' )
			: '';
		$stalled = $waiting > 0 && ( 0 === $state['last_success'] || $now - $state['last_success'] > self::STALLED_MINUTES * 60 );
		if ( ! $stalled ) {
			return self::result( 'layersync_drain', 'good', __( 'LayerSync delivers events in the background', 'layersync' ), trim( $last . ' ' . $cron ) );
		}
		$why = '' !== $state['last_error']
			/* translators: %s: error */
			? sprintf( __( 'Last error: %s', 'layersync' ), $state['last_error'] )
			: ( 0 === $state['last_run'] || $now - $state['last_run'] > self::STALLED_MINUTES * 60
				? __( 'No delivery has run recently: background jobs (WP-Cron or Action Scheduler) do not seem to run.', 'layersync' )
				: '' );
		$scheduled = ( new DrainScheduler() )->is_scheduled() ? __( 'A delivery run is scheduled.', 'layersync' ) : __( 'No delivery run is scheduled.', 'layersync' );
		return self::result(
			'layersync_drain',
			'critical',
			__( 'LayerSync events are not being delivered', 'layersync' ),
			trim( implode( ' ', array( $last, $why, $scheduled, $cron ) ) )
		);
	}

	/**
	 * A Site Health result.
	 *
	 * @param string $test        Test id.
	 * @param string $status      good, recommended or critical.
	 * @param string $label       Headline.
	 * @param string $description Plain-text explanation.
	 * @return array<string, mixed>
	 */
	private static function result( string $test, string $status, string $label, string $description ): array {
		return array(
			'label'       => $label,
			'status'      => $status,
			'badge'       => array(
				'label' => __( 'LayerSync', 'layersync' ),
				'color' => 'good' === $status ? 'blue' : ( 'critical' === $status ? 'red' : 'orange' ),
			),
			'description' => '<p>' . esc_html( $description ) . '</p>',
			'actions'     => sprintf(
				'<p><a href="%s">%s</a></p>',
				esc_url( admin_url( 'admin.php?page=layersync' ) ),
				esc_html__( 'Open LayerSync', 'layersync' )
			),
			'test'        => $test,
		);
	}
}
