<?php
/**
 * Admin REST routes of the outbox queue.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Rest;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\OutboxTable;
use LayerSync\Internal\Outbox\Priority;
use LayerSync\Internal\Rest\OutboxController;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\CreatesUsers;
use PHPUnit\Framework\Attributes\DataProvider;

final class OutboxControllerTest extends IntegrationTestCase {

	use CreatesUsers;

	private OutboxRepository $outbox;

	protected function setUp(): void {
		parent::setUp();
		$this->outbox = new OutboxRepository();
	}

	protected function tearDown(): void {
		$this->delete_users();
		parent::tearDown();
	}

	/**
	 * Every queue route refuses anonymous visitors (401) and non-admins (403), and changes nothing.
	 *
	 * @param string                    $method Method.
	 * @param string                    $route  Route.
	 * @param array<string, mixed>|null $body   JSON body.
	 */
	#[DataProvider( 'routes' )]
	public function test_wrong_users_are_refused( string $method, string $route, ?array $body ): void {
		$ids = $this->seed();
		if ( null !== $body ) {
			$body = array( 'ids' => array_values( $ids ) );
		}

		$anonymous = $this->rest( $method, $route, $body );
		$this->assertSame( 401, $anonymous->get_status() );
		$this->assertSame( 'rest_forbidden', $anonymous->get_data()['code'] );

		foreach ( array( 'subscriber', 'editor', 'shop_manager' ) as $role ) {
			if ( null === get_role( $role ) ) {
				continue; // shop_manager exists only with WooCommerce.
			}
			wp_set_current_user( $this->user( $role ) );
			$response = $this->rest( $method, $route, $body );
			$this->assertSame( 403, $response->get_status(), $role );
			$this->assertSame( 'rest_forbidden', $response->get_data()['code'] );
		}

		$this->assertCount( 4, self::outbox_rows(), 'nothing was deleted' );
		$this->assertSame( 'failed', $this->outbox->find( 'evt-failed' )['status'] ?? '', 'nothing was retried' );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{string, string, array<string, mixed>|null}>
	 */
	public static function routes(): array {
		return array(
			'list'   => array( 'GET', '/layersync/v1/admin/outbox', null ),
			'retry'  => array( 'POST', '/layersync/v1/admin/outbox/retry', array() ),
			'delete' => array( 'POST', '/layersync/v1/admin/outbox/delete', array() ),
			'csv'    => array( 'GET', '/layersync/v1/admin/outbox/export.csv', null ),
		);
	}

	public function test_list_filters_paginates_and_shows_each_rows_state(): void {
		$this->seed();
		wp_set_current_user( $this->user( 'administrator' ) );

		$all = $this->rest( 'GET', '/layersync/v1/admin/outbox' );
		$this->assertSame( 200, $all->get_status() );
		$data = $all->get_data();
		$this->assertSame( 4, $data['total'] );
		$this->assertSame( array( 'evt-sent', 'evt-page', 'evt-failed', 'evt-purchase' ), array_column( $data['items'], 'event_id' ), 'newest first' );
		$this->assertSame( '4', $all->get_headers()['X-WP-Total'] );
		$this->assertSame(
			array(
				'pending' => 2,
				'sending' => 0,
				'sent'    => 1,
				'failed'  => 1,
			),
			$data['counts']
		);

		$failed = $this->get( array( 'status' => 'failed' ) )->get_data();
		$this->assertSame( 1, $failed['total'] );
		$item = $failed['items'][0];
		$this->assertSame( 'evt-failed', $item['event_id'] );
		$this->assertSame( 'lead', $item['event_name'] );
		$this->assertSame( 10, $item['priority'] );
		$this->assertSame( 3, $item['attempts'] );
		$this->assertSame( '=HYPERLINK("http://evil.example") relay said no', $item['last_error'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/', (string) $item['created_at'] );
		$this->assertSame( 'lead', $item['payload']->event_name, 'the payload is returned as the JSON object it is' );

		$by_priority = $this->get( array( 'priority' => 0 ) )->get_data();
		$this->assertSame( array( 'evt-purchase' ), array_column( $by_priority['items'], 'event_id' ) );
		$by_event = $this->get( array( 'event' => 'page_view' ) )->get_data();
		$this->assertSame( array( 'evt-page' ), array_column( $by_event['items'], 'event_id' ) );

		$page2 = $this->get(
			array(
				'page'     => 2,
				'per_page' => 3,
			)
		);
		$this->assertSame( array( 'evt-purchase' ), array_column( $page2->get_data()['items'], 'event_id' ) );
		$this->assertSame( '2', $page2->get_headers()['X-WP-TotalPages'] );

		$bad = $this->get( array( 'status' => 'lost' ) );
		$this->assertSame( 400, $bad->get_status() );
		$this->assertStringContainsString( 'status is not one of pending, sending, sent', (string) wp_json_encode( $bad->get_data() ) );
	}

	public function test_retry_requeues_failed_rows_with_renewed_retention_and_schedules_a_drain(): void {
		$ids = $this->seed();
		wp_set_current_user( $this->user( 'administrator' ) );
		wp_clear_scheduled_hook( DrainScheduler::HOOK_ASYNC );
		$before = time();

		$response = $this->rest( 'POST', '/layersync/v1/admin/outbox/retry', array( 'ids' => array( $ids['evt-failed'], $ids['evt-sent'], 999999 ) ) );

		$this->assertSame( 200, $response->get_status() );
		$this->assertSame(
			array(
				'retried' => array( $ids['evt-failed'] ),
				'skipped' => array( $ids['evt-sent'], 999999 ),
			),
			$response->get_data()
		);
		$row = $this->outbox->find( 'evt-failed' );
		$this->assertSame( 'pending', $row['status'] ?? '' );
		$this->assertLessThanOrEqual( time(), OutboxRepository::timestamp( (string) ( $row['next_attempt_at'] ?? '' ) ) );
		$this->assertGreaterThanOrEqual( $before + Priority::retention_for_event( 'lead' ), OutboxRepository::timestamp( (string) ( $row['expires_at'] ?? '' ) ) );
		$this->assertSame( 'sent', $this->outbox->find( 'evt-sent' )['status'] ?? '' );
		$this->assertNotFalse( wp_next_scheduled( DrainScheduler::HOOK_ASYNC ) );
		$this->assertContains( $ids['evt-failed'], array_column( $this->outbox->claim( 10, time() )['rows'], 'id' ), 'the retried row is due now' );

		$invalid = $this->rest( 'POST', '/layersync/v1/admin/outbox/retry', array( 'ids' => array() ) );
		$this->assertSame( 400, $invalid->get_status() );
		$this->assertStringContainsString( 'ids must contain at least 1 item', (string) wp_json_encode( $invalid->get_data() ) );
	}

	public function test_delete_removes_rows_but_not_those_being_sent(): void {
		$ids = $this->seed();
		$this->outbox->claim( 1, time() );
		$claimed = array_values( array_filter( self::outbox_rows(), static fn( $row ) => 'sending' === $row['status'] ) );
		$this->assertCount( 1, $claimed );
		wp_set_current_user( $this->user( 'administrator' ) );

		$response = $this->rest( 'POST', '/layersync/v1/admin/outbox/delete', array( 'ids' => array( $ids['evt-failed'], $ids['evt-sent'], (int) $claimed[0]['id'] ) ) );

		$this->assertSame( array( 'deleted' => 2 ), $response->get_data() );
		$this->assertSame( 'evt-purchase', $claimed[0]['event_id'], 'the most important row was claimed' );
		$this->assertSame( array( 'evt-purchase', 'evt-page' ), array_column( self::outbox_rows(), 'event_id' ) );
		$this->assertNull( $this->outbox->find( 'evt-failed' ) );
		$this->assertNull( $this->outbox->find( 'evt-sent' ) );
		$this->assertNotNull( $this->outbox->find( (string) $claimed[0]['event_id'] ) );
	}

	public function test_csv_is_written_with_fputcsv_and_neutralizes_formulas(): void {
		$this->seed();
		global $wpdb;
		$wpdb->update( OutboxTable::name(), array( 'last_error' => "@SUM(1+1)\r\n+cmd|' /C calc'!A0" ), array( 'event_id' => 'evt-sent' ) );
		$wpdb->update( OutboxTable::name(), array( 'last_error' => "\tTabbed, \"quoted\"" ), array( 'event_id' => 'evt-page' ) );
		$wpdb->update( OutboxTable::name(), array( 'last_error' => '-2+3' ), array( 'event_id' => 'evt-purchase' ) );
		$controller = new OutboxController( $this->outbox, new DrainScheduler() );

		ob_start();
		$written = $controller->stream_csv( array() );
		$csv     = (string) ob_get_clean();

		$this->assertSame( 4, $written );
		$lines = array();
		$fh    = fopen( 'php://memory', 'r+' );
		$this->assertIsResource( $fh );
		fwrite( $fh, $csv );
		rewind( $fh );
		$line = fgetcsv( $fh, null, ',', '"', '' );
		while ( false !== $line ) {
			$lines[] = $line;
			$line    = fgetcsv( $fh, null, ',', '"', '' );
		}
		fclose( $fh );
		$this->assertSame( OutboxController::COLUMNS, $lines[0] );
		$this->assertCount( 5, $lines );
		$by_id = array();
		foreach ( array_slice( $lines, 1 ) as $line ) {
			$by_id[ $line[1] ] = array_combine( OutboxController::COLUMNS, $line );
		}
		$this->assertSame( '\'=HYPERLINK("http://evil.example") relay said no', $by_id['evt-failed']['last_error'] );
		$this->assertSame( "'@SUM(1+1)\r\n+cmd|' /C calc'!A0", $by_id['evt-sent']['last_error'], 'only the first character matters' );
		$this->assertSame( "'\tTabbed, \"quoted\"", $by_id['evt-page']['last_error'] );
		$this->assertSame( "'-2+3", $by_id['evt-purchase']['last_error'] );
		$this->assertSame( 'lead', json_decode( (string) $by_id['evt-failed']['payload'], true )['event_name'] );
		$this->assertSame( "'=1", OutboxController::csv_cell( '=1' ) );
		$this->assertSame( "'\r1", OutboxController::csv_cell( "\r1" ) );
		$this->assertSame( 'a=1', OutboxController::csv_cell( 'a=1' ) );
		$this->assertSame( '', OutboxController::csv_cell( '' ) );

		ob_start();
		$controller->stream_csv( array( 'status' => 'pending' ) );
		$this->assertSame( 3, substr_count( (string) ob_get_clean(), "\n" ), 'header and the two pending rows' );
	}

	public function test_csv_export_streams_over_http_with_cookie_auth_and_nonce_only(): void {
		$this->seed();
		$session = $this->admin_http_session();
		$url     = rest_url( 'layersync/v1/admin/outbox/export.csv' ) . '?status=failed';

		$without_nonce = wp_remote_get(
			$url,
			array(
				'cookies' => $session['cookies'],
				'timeout' => 20,
			)
		);
		$this->assertSame( 401, wp_remote_retrieve_response_code( $without_nonce ), 'cookies alone (CSRF) are not enough' );

		$csv = wp_remote_get(
			$url,
			array(
				'cookies' => $session['cookies'],
				'headers' => array( 'X-WP-Nonce' => $session['nonce'] ),
				'timeout' => 20,
			)
		);
		$this->assertSame( 200, wp_remote_retrieve_response_code( $csv ), (string) wp_remote_retrieve_body( $csv ) );
		$this->assertSame( 'text/csv; charset=utf-8', wp_remote_retrieve_header( $csv, 'content-type' ) );
		$this->assertMatchesRegularExpression( '/^attachment; filename="layersync-outbox-\d{8}-\d{6}\.csv"$/', implode( ',', (array) wp_remote_retrieve_header( $csv, 'content-disposition' ) ) );
		$body = (string) wp_remote_retrieve_body( $csv );
		$this->assertStringStartsWith( implode( ',', OutboxController::COLUMNS ) . "\n", $body );
		$this->assertSame( 2, substr_count( $body, "\n" ) );
		$this->assertStringContainsString( ',evt-failed,lead,10,failed,3,', $body );
		$this->assertStringContainsString( '"\'=HYPERLINK(""http://evil.example"") relay said no"', $body );

		$list = wp_remote_get(
			rest_url( 'layersync/v1/admin/outbox' ),
			array(
				'cookies' => $session['cookies'],
				'headers' => array( 'X-WP-Nonce' => $session['nonce'] ),
				'timeout' => 20,
			)
		);
		$this->assertSame( 200, wp_remote_retrieve_response_code( $list ) );
		$this->assertSame( '4', wp_remote_retrieve_header( $list, 'x-wp-total' ) );
		wp_cache_flush(); // The web server wrote options (sessions, cron) behind this process's cache.
	}

	/**
	 * GET /admin/outbox with query parameters.
	 *
	 * @param array<string, mixed> $query Query.
	 * @return \WP_REST_Response
	 */
	private function get( array $query ): \WP_REST_Response {
		$request = new \WP_REST_Request( 'GET', '/layersync/v1/admin/outbox' );
		$request->set_query_params( $query );
		return rest_do_request( $request );
	}

	/**
	 * Four rows: a failed lead (with a formula-looking error), a pending purchase, a pending
	 * page view and a sent add_to_cart. Returns row ids by event id.
	 *
	 * @return array<string, int>
	 */
	private function seed(): array {
		global $wpdb;
		$now  = time();
		$rows = array(
			'evt-purchase' => array( 'purchase', 'pending', null, 0 ),
			'evt-failed'   => array( 'lead', 'failed', '=HYPERLINK("http://evil.example") relay said no', 3 ),
			'evt-page'     => array( 'page_view', 'pending', null, 0 ),
			'evt-sent'     => array( 'add_to_cart', 'sent', null, 1 ),
		);
		$ids  = array();
		foreach ( $rows as $event_id => list( $name, $status, $error, $attempts ) ) {
			$priority = Priority::for_event( $name );
			$payload  = (string) wp_json_encode(
				array(
					'event_id'   => $event_id,
					'event_name' => $name,
					'event_time' => $now,
					'source'     => 'server',
				)
			);
			$this->outbox->insert( $event_id, $name, $priority, $payload, $now - 100, 'failed' === $status ? -50 : Priority::retention_seconds( $priority ) );
			$wpdb->update(
				OutboxTable::name(),
				array(
					'status'     => $status,
					'last_error' => $error,
					'attempts'   => $attempts,
				),
				array( 'event_id' => $event_id )
			);
			$ids[ $event_id ] = (int) ( $this->outbox->find( $event_id )['id'] ?? 0 );
		}
		return $ids;
	}
}
