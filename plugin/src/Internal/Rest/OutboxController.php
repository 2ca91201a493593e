<?php
/**
 * Admin REST routes for the outbox queue.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Rest;

use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\Priority;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

/**
 * The outbox as the wp-admin app sees it: every row with its status, attempts, next attempt and
 * last error, paginated and filterable; retry and delete by id; a CSV export streamed in
 * batches. Routes under `layersync/v1/admin/outbox` require manage_options; from a browser,
 * WordPress's cookie authentication applies, which needs the REST nonce (X-WP-Nonce) — without
 * it the user is anonymous and refused.
 *
 * Payloads hold only hashed identifiers, click ids and consent; returning them to an
 * administrator discloses no raw personal data.
 *
 * @since 0.1.0
 *
 * @phpstan-type Filters array{status?: string, priority?: int, event?: string}
 */
final class OutboxController {

	public const NAMESPACE = 'layersync/v1';
	public const ROUTE     = '/admin/outbox';
	public const CSV_ROUTE = '/admin/outbox/export.csv';

	/**
	 * Most rows per page, and per retry/delete request.
	 */
	public const MAX_PER_PAGE = 100;
	public const MAX_IDS      = 500;

	/**
	 * Rows read per query while exporting.
	 */
	private const EXPORT_BATCH = 500;

	/**
	 * Columns of the list and the CSV, in order.
	 */
	public const COLUMNS = array( 'id', 'event_id', 'event_name', 'priority', 'status', 'attempts', 'created_at', 'next_attempt_at', 'expires_at', 'last_error', 'payload' );

	/**
	 * Outbox storage.
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Drain scheduling (retried rows drain soon).
	 *
	 * @var DrainScheduler
	 */
	private DrainScheduler $scheduler;

	/**
	 * Constructor.
	 *
	 * @param OutboxRepository $outbox    Outbox storage.
	 * @param DrainScheduler   $scheduler Drain scheduling.
	 */
	public function __construct( OutboxRepository $outbox, DrainScheduler $scheduler ) {
		$this->outbox    = $outbox;
		$this->scheduler = $scheduler;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
		add_filter( 'rest_pre_serve_request', array( $this, 'serve_csv' ), 10, 4 );
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		$filters = array(
			'status'   => array(
				'description' => __( 'Only rows with this status.', 'layersync' ),
				'type'        => 'string',
				'enum'        => OutboxRepository::STATUSES,
			),
			'priority' => array(
				'description' => __( 'Only rows with this priority (0 purchases and refunds … 50 page views).', 'layersync' ),
				'type'        => 'integer',
				'enum'        => Priority::ALL,
			),
			'event'    => array(
				'description' => __( 'Only rows with this event name, e.g. lead or custom:quiz_done.', 'layersync' ),
				'type'        => 'string',
				'pattern'     => '^(?:[a-z_]{1,40}|custom:[A-Za-z0-9_]{1,40})$',
			),
		);
		$ids     = array(
			'ids' => array(
				'description' => __( 'Row ids (the "id" of each row in the list).', 'layersync' ),
				'type'        => 'array',
				'required'    => true,
				'minItems'    => 1,
				'maxItems'    => self::MAX_IDS,
				'items'       => array(
					'type'    => 'integer',
					'minimum' => 1,
				),
			),
		);

		register_rest_route(
			self::NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( $this, 'get_items' ),
				'permission_callback' => array( $this, 'can_manage' ),
				'args'                => array_merge(
					$filters,
					array(
						'page'     => array(
							'description' => __( 'Page, from 1.', 'layersync' ),
							'type'        => 'integer',
							'minimum'     => 1,
							'default'     => 1,
						),
						'per_page' => array(
							'description' => __( 'Rows per page.', 'layersync' ),
							'type'        => 'integer',
							'minimum'     => 1,
							'maximum'     => self::MAX_PER_PAGE,
							'default'     => 25,
						),
					)
				),
			)
		);
		register_rest_route(
			self::NAMESPACE,
			self::ROUTE . '/retry',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'retry_items' ),
				'permission_callback' => array( $this, 'can_manage' ),
				'args'                => $ids,
			)
		);
		register_rest_route(
			self::NAMESPACE,
			self::ROUTE . '/delete',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'delete_items' ),
				'permission_callback' => array( $this, 'can_manage' ),
				'args'                => $ids,
			)
		);
		register_rest_route(
			self::NAMESPACE,
			'/admin/outbox/export\.csv',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( $this, 'export_csv' ),
				'permission_callback' => array( $this, 'can_manage' ),
				'args'                => $filters,
			)
		);
	}

	/**
	 * Permission: administrators (manage_options) only.
	 *
	 * @return bool
	 */
	public function can_manage(): bool {
		return current_user_can( 'manage_options' );
	}

	/**
	 * `GET /admin/outbox`: one page of rows, newest first, with X-WP-Total / X-WP-TotalPages.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( WP_REST_Request $request ): WP_REST_Response {
		$filters  = self::filters( $request );
		$page     = max( 1, (int) $request->get_param( 'page' ) );
		$per_page = min( self::MAX_PER_PAGE, max( 1, (int) $request->get_param( 'per_page' ) ) );
		$total    = $this->outbox->count( $filters );
		$pages    = (int) ceil( $total / $per_page );
		$items    = array_map( array( self::class, 'present' ), $this->outbox->list_rows( $filters, $page, $per_page ) );

		$response = new WP_REST_Response(
			array(
				'items'       => $items,
				'total'       => $total,
				'total_pages' => $pages,
				'page'        => $page,
				'per_page'    => $per_page,
				'counts'      => $this->outbox->count_by_status(),
			)
		);
		$response->header( 'X-WP-Total', (string) $total );
		$response->header( 'X-WP-TotalPages', (string) $pages );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * `POST /admin/outbox/retry`: failed or waiting rows become due now (their retention is
	 * renewed); rows being sent or already delivered are reported as skipped.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function retry_items( WP_REST_Request $request ): WP_REST_Response {
		$ids     = self::ids( $request );
		$retried = $this->outbox->requeue( $ids, time() );
		if ( array() !== $retried ) {
			$this->scheduler->schedule_soon();
		}
		return new WP_REST_Response(
			array(
				'retried' => $retried,
				'skipped' => array_values( array_diff( $ids, $retried ) ),
			)
		);
	}

	/**
	 * `POST /admin/outbox/delete`: deletes rows (not those being sent right now).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function delete_items( WP_REST_Request $request ): WP_REST_Response {
		return new WP_REST_Response( array( 'deleted' => $this->outbox->delete( self::ids( $request ) ) ) );
	}

	/**
	 * `GET /admin/outbox/export.csv`: answers with CSV headers; the body is streamed by
	 * serve_csv() when WordPress serves the response.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function export_csv( WP_REST_Request $request ): WP_REST_Response {
		$response = new WP_REST_Response( null, 200 );
		$response->header( 'Content-Type', 'text/csv; charset=utf-8' );
		$response->header( 'Content-Disposition', 'attachment; filename="layersync-outbox-' . gmdate( 'Ymd-His' ) . '.csv"' );
		$response->header( 'Cache-Control', 'no-store' );
		$response->header( 'X-Content-Type-Options', 'nosniff' );
		return $response;
	}

	/**
	 * Streams the CSV body instead of JSON for a successful export request (headers are
	 * already sent by then).
	 *
	 * @param bool            $served  Whether the request was already served.
	 * @param mixed           $result  Response.
	 * @param WP_REST_Request $request Request.
	 * @param WP_REST_Server  $server  Server.
	 * @return bool
	 */
	public function serve_csv( $served, $result, $request, $server ): bool {
		if ( $served || ! $request instanceof WP_REST_Request || ! $result instanceof WP_REST_Response ) {
			return (bool) $served;
		}
		if ( '/' . self::NAMESPACE . self::CSV_ROUTE !== $request->get_route() || 200 !== $result->get_status() || 'GET' !== $request->get_method() ) {
			return false;
		}
		$this->stream_csv( self::filters( $request ) );
		return true;
	}

	/**
	 * Writes the CSV of every matching row to the output, oldest first, in batches: a header
	 * line, then one line per row. Written with fputcsv() only (quoting and escaping are PHP's),
	 * and every cell that a spreadsheet would run as a formula (first character =, +, -, @, tab
	 * or carriage return) gets a leading apostrophe.
	 *
	 * @param array<string, mixed> $filters Filters.
	 * @phpstan-param Filters $filters
	 * @return int Rows written.
	 */
	public function stream_csv( array $filters ): int {
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fopen -- streaming to the response body; WP_Filesystem is for files.
		$out = fopen( 'php://output', 'w' );
		if ( false === $out ) {
			return 0;
		}
		fputcsv( $out, self::COLUMNS, ',', '"', '' );
		$written = 0;
		$after   = 0;
		do {
			$rows  = $this->outbox->batch_after( $filters, $after, self::EXPORT_BATCH );
			$count = count( $rows );
			foreach ( $rows as $row ) {
				$line = array();
				foreach ( self::COLUMNS as $column ) {
					$line[] = self::csv_cell( (string) ( $row[ $column ] ?? '' ) );
				}
				fputcsv( $out, $line, ',', '"', '' );
				$after = (int) $row['id'];
				++$written;
			}
			flush();
		} while ( self::EXPORT_BATCH === $count );
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fclose -- see fopen above.
		fclose( $out );
		return $written;
	}

	/**
	 * Neutralizes a cell a spreadsheet would evaluate (CSV/formula injection): a value starting
	 * with =, +, -, @, a tab or a carriage return gets a leading apostrophe.
	 *
	 * @param string $value Cell.
	 * @return string
	 */
	public static function csv_cell( string $value ): string {
		return '' !== $value && false !== strpbrk( $value[0], "=+-@\t\r" ) ? "'" . $value : $value;
	}

	/**
	 * One row as the API presents it: numbers as numbers, times in ISO 8601 (UTC), the payload
	 * as the JSON object it is.
	 *
	 * @param array<string, string|null> $row Row.
	 * @return array<string, mixed>
	 */
	public static function present( array $row ): array {
		$time = static fn( $value ) => null === $value || '' === $value ? null : gmdate( 'c', OutboxRepository::timestamp( (string) $value ) );
		return array(
			'id'              => (int) $row['id'],
			'event_id'        => (string) $row['event_id'],
			'event_name'      => (string) $row['event_name'],
			'priority'        => (int) $row['priority'],
			'status'          => (string) $row['status'],
			'attempts'        => (int) $row['attempts'],
			'created_at'      => $time( $row['created_at'] ?? null ),
			'next_attempt_at' => $time( $row['next_attempt_at'] ?? null ),
			'expires_at'      => $time( $row['expires_at'] ?? null ),
			'claimed_at'      => $time( $row['claimed_at'] ?? null ),
			'last_error'      => $row['last_error'] ?? null,
			'payload'         => json_decode( (string) $row['payload'] ),
		);
	}

	/**
	 * Filters from a request's validated parameters.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array<string, mixed>
	 * @phpstan-return Filters
	 */
	private static function filters( WP_REST_Request $request ): array {
		$filters  = array();
		$status   = $request->get_param( 'status' );
		$priority = $request->get_param( 'priority' );
		$event    = $request->get_param( 'event' );
		if ( is_string( $status ) && in_array( $status, OutboxRepository::STATUSES, true ) ) {
			$filters['status'] = $status;
		}
		if ( is_numeric( $priority ) ) {
			$filters['priority'] = (int) $priority;
		}
		if ( is_string( $event ) && EventValidator::is_valid_event_name( $event ) ) {
			$filters['event'] = $event;
		}
		return $filters;
	}

	/**
	 * Row ids from a request.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return int[]
	 */
	private static function ids( WP_REST_Request $request ): array {
		$ids = $request->get_param( 'ids' );
		return array_values( array_unique( array_map( 'intval', is_array( $ids ) ? $ids : array() ) ) );
	}
}
