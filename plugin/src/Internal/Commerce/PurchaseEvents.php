<?php
/**
 * One purchase per order.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Outbox\OutboxRepository;

/**
 * Records an order's purchase exactly once, as soon as it is due (policy 3).
 *
 * Many hooks may see an order become due, in any order and in concurrent requests (the
 * customer's checkout and thank-you page, a gateway's payment callback, the merchant's status
 * change): `woocommerce_checkout_order_processed`, `woocommerce_store_api_checkout_order_processed`,
 * `woocommerce_payment_complete`, `woocommerce_order_status_{on-hold,processing,completed}` and
 * `woocommerce_thankyou`. Each asks maybe_record(), which
 *
 * 1. returns at once when the order already carries `_layersync_purchase_recorded`;
 * 2. checks that the order is due: paid (a paid status: processing or completed), or for an
 *    offline gateway set to "when placed" (CommerceSettings), placed (on-hold or later);
 *    cash on delivery set to "when paid" waits for completed, when the cash is in;
 * 3. inserts the purchase with its deterministic id (EventIds::purchase()) — the outbox's unique
 *    event_id is the lock: of any number of concurrent inserts exactly one succeeds, in any
 *    storage (HPOS has no unique post meta to lean on);
 * 4. the request that won writes `_layersync_purchase_recorded` (unix time) and
 *    `_layersync_purchase_event_id` through the CRUD API with one save(), so later hooks — even
 *    after the outbox row has been purged — never record it again. A request that lost the race
 *    leaves the marker to the winner, unless the winner evidently died before writing it.
 *
 * The event carries what was captured at checkout (OrderIdentity): identity, consent and the
 * customer's context, although it may be recorded in a gateway callback without any browser.
 *
 * @since 0.1.0
 */
final class PurchaseEvents {

	public const META_RECORDED = '_layersync_purchase_recorded';
	public const META_EVENT_ID = '_layersync_purchase_event_id';
	public const META_BROWSER  = '_layersync_purchase_browser';

	/**
	 * The thank-you page prints the purchase for the tracker only this long after it was recorded:
	 * a later visit could otherwise make a pixel count it again outside the platforms' dedup
	 * windows (Meta: 48 hours).
	 */
	public const BROWSER_WINDOW = 3600;

	/**
	 * A request that finds the purchase already in the outbox writes the missing marker itself
	 * only when the row is older than this: the request that inserted it has had time to.
	 */
	public const HEAL_AFTER = 60;

	/**
	 * Statuses after which an order is "placed" (checkout finished, whatever the payment).
	 */
	public const PLACED_STATUSES = array( 'on-hold', 'processing', 'completed' );

	public const QUEUED          = 'queued';
	public const DUPLICATE       = 'duplicate';
	public const RECORDED_BEFORE = 'recorded_before';
	public const NOT_DUE         = 'not_due';
	public const DISABLED        = 'disabled';
	public const TOO_OLD         = 'too_old';
	public const NO_CONSENT      = 'no_consent';

	/**
	 * Records events.
	 *
	 * @var EventRecorder
	 */
	private EventRecorder $recorder;

	/**
	 * Outbox (age of an existing row).
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Settings of the integration.
	 *
	 * @var CommerceSettings
	 */
	private CommerceSettings $commerce;

	/**
	 * Items.
	 *
	 * @var Items
	 */
	private Items $items;

	/**
	 * Captured identity.
	 *
	 * @var OrderIdentity
	 */
	private OrderIdentity $identity;

	/**
	 * Consent policy (strict mode).
	 *
	 * @var ConsentSnapshot
	 */
	private ConsentSnapshot $consent;

	/**
	 * Orders recorded (or found recorded) during this request.
	 *
	 * @var array<int, true>
	 */
	private array $done = array();

	/**
	 * Constructor.
	 *
	 * @param EventRecorder    $recorder Records events.
	 * @param OutboxRepository $outbox   Outbox.
	 * @param CommerceSettings $commerce Settings of the integration.
	 * @param Items            $items    Items.
	 * @param OrderIdentity    $identity Captured identity.
	 * @param ConsentSnapshot  $consent  Consent policy.
	 */
	public function __construct( EventRecorder $recorder, OutboxRepository $outbox, CommerceSettings $commerce, Items $items, OrderIdentity $identity, ConsentSnapshot $consent ) {
		$this->recorder = $recorder;
		$this->outbox   = $outbox;
		$this->commerce = $commerce;
		$this->items    = $items;
		$this->identity = $identity;
		$this->consent  = $consent;
	}

	/**
	 * Hooks. Identity is captured at priority 10 of the checkout hooks (CheckoutEvents); the
	 * purchase is considered after it.
	 */
	public function register(): void {
		add_action( 'woocommerce_checkout_order_processed', array( $this, 'on_checkout_order_processed' ), 30, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $this, 'on_store_api_checkout_order_processed' ), 30, 1 );
		add_action( 'woocommerce_payment_complete', array( $this, 'on_payment_complete' ), 10, 1 );
		add_action( 'woocommerce_order_status_on-hold', array( $this, 'on_order_status' ), 10, 2 );
		add_action( 'woocommerce_order_status_processing', array( $this, 'on_order_status' ), 10, 2 );
		add_action( 'woocommerce_order_status_completed', array( $this, 'on_order_status' ), 10, 2 );
		add_action( 'woocommerce_thankyou', array( $this, 'on_thankyou' ), 10, 1 );
	}

	/**
	 * `woocommerce_checkout_order_processed` (classic checkout, before payment).
	 *
	 * @param int        $order_id    Order id.
	 * @param mixed      $posted_data Checkout fields.
	 * @param mixed|null $order       Order.
	 */
	public function on_checkout_order_processed( $order_id, $posted_data = null, $order = null ): void {
		$order = self::order( $order, $order_id );
		if ( null !== $order ) {
			$this->maybe_record( $order, 'woocommerce_checkout_order_processed' );
		}
	}

	/**
	 * `woocommerce_store_api_checkout_order_processed` (block checkout, before payment).
	 *
	 * @param mixed $order Order.
	 */
	public function on_store_api_checkout_order_processed( $order ): void {
		$order = self::order( $order, 0 );
		if ( null !== $order ) {
			$this->maybe_record( $order, 'woocommerce_store_api_checkout_order_processed' );
		}
	}

	/**
	 * `woocommerce_payment_complete`: a gateway confirmed payment (maybe in its own callback).
	 *
	 * @param int $order_id Order id.
	 */
	public function on_payment_complete( $order_id ): void {
		$order = self::order( null, $order_id );
		if ( null !== $order ) {
			$this->maybe_record( $order, 'woocommerce_payment_complete' );
		}
	}

	/**
	 * `woocommerce_order_status_{on-hold,processing,completed}`.
	 *
	 * @param int        $order_id Order id.
	 * @param mixed|null $order    Order.
	 */
	public function on_order_status( $order_id, $order = null ): void {
		$order = self::order( $order, $order_id );
		if ( null !== $order ) {
			$this->maybe_record( $order, 'woocommerce_order_status_' . $order->get_status() );
		}
	}

	/**
	 * `woocommerce_thankyou`: the customer is on the order-received page (WooCommerce checked the
	 * order key). Captures their browser's ids when nothing was captured before (an order
	 * created in wp-admin and paid through a link), then considers the purchase.
	 *
	 * @param int|null $order_id Order id.
	 */
	public function on_thankyou( $order_id ): void {
		$order = self::order( null, $order_id );
		if ( null === $order ) {
			return;
		}
		if ( ! $this->identity->has_browser_capture( $order ) ) {
			$this->identity->capture_from_request( $order, 'order_received' );
		}
		$this->maybe_record( $order, 'woocommerce_thankyou' );
	}

	/**
	 * Records the order's purchase when it is due and not recorded yet.
	 *
	 * @param \WC_Order $order   Order.
	 * @param string    $trigger What asked (a hook name), kept in properties.trigger.
	 * @return string One of the status constants of this class, or EventRecorder::REJECTED / ERROR.
	 */
	public function maybe_record( \WC_Order $order, string $trigger ): string {
		$order_id = $order->get_id();
		if ( $order_id <= 0 ) {
			return self::NOT_DUE;
		}
		if ( ! $this->commerce->is_enabled( 'purchase' ) ) {
			return self::DISABLED;
		}
		if ( isset( $this->done[ $order_id ] ) || '' !== (string) $order->get_meta( self::META_RECORDED ) ) {
			$this->done[ $order_id ] = true;
			return self::RECORDED_BEFORE;
		}
		if ( ! $this->is_due( $order ) ) {
			return self::NOT_DUE;
		}
		$time = $this->event_time( $order );
		if ( $time < time() - EventValidator::MAX_AGE_SECONDS ) {
			// Paid long ago (before LayerSync was installed, or recorded then and since purged).
			return self::TOO_OLD;
		}
		$consent = $this->identity->consent( $order );
		if ( null !== $consent && ! $this->consent->allows_recording( $consent ) ) {
			return self::NO_CONSENT;
		}

		$event_id = EventIds::purchase( $order_id );
		$event    = ServerEvent::make(
			$event_id,
			'purchase',
			$time,
			$this->identity->context( $order ),
			$this->identity->identity( $order ),
			$this->items->order_commerce( $order ),
			$consent,
			array(
				'payment_method'  => mb_substr( $order->get_payment_method(), 0, 64 ),
				'created_via'     => mb_substr( $order->get_created_via(), 0, 64 ),
				'purchase_timing' => $this->commerce->timing_for( $order->get_payment_method() ),
				'trigger'         => $trigger,
			)
		);
		$outcome  = $this->recorder->record( $event );

		if ( EventRecorder::QUEUED === $outcome['status'] ) {
			$this->mark( $order, $event_id );

			/**
			 * Fires once per order, in the request that recorded its purchase.
			 *
			 * @since 0.1.0
			 *
			 * @param array<string, mixed> $event Purchase event as recorded (before the outbox's
			 *                                    validation normalized it).
			 * @param \WC_Order            $order Order.
			 */
			do_action( 'layersync_purchase_recorded', $event, $order );
			return self::QUEUED;
		}
		if ( EventRecorder::DUPLICATE === $outcome['status'] ) {
			$row = $this->outbox->find( $event_id );
			if ( null === $row || OutboxRepository::timestamp( (string) ( $row['created_at'] ?? '' ) ) < time() - self::HEAL_AFTER ) {
				$this->mark( $order, $event_id );
			}
			return self::DUPLICATE;
		}
		return $outcome['status'];
	}

	/**
	 * Whether the order's purchase should be sent now.
	 *
	 * @param \WC_Order $order Order.
	 * @return bool
	 */
	public function is_due( \WC_Order $order ): bool {
		$status  = $order->get_status();
		$gateway = $order->get_payment_method();
		if ( in_array( $gateway, $this->commerce->offline_gateways(), true ) ) {
			if ( CommerceSettings::TIMING_PLACED === $this->commerce->timing_for( $gateway ) ) {
				return in_array( $status, self::PLACED_STATUSES, true );
			}
			return in_array( $status, $this->paid_statuses( $order ), true );
		}
		return $order->is_paid();
	}

	/**
	 * The purchase for the tracker's browser half on the thank-you page: printed once per order,
	 * and only within BROWSER_WINDOW of the server half being recorded. Marks the order.
	 *
	 * @param \WC_Order $order Order (its key already checked).
	 * @return array<string, mixed>|null `{event_id, event_name, order_id, value, currency, tax,
	 *                                   shipping, coupon?, items?}`, or null.
	 */
	public function browser_half( \WC_Order $order ): ?array {
		if ( ! $this->commerce->is_enabled( 'purchase' ) ) {
			return null;
		}
		$recorded = (int) $order->get_meta( self::META_RECORDED );
		if ( $recorded <= 0 || '' !== (string) $order->get_meta( self::META_BROWSER ) || $recorded < time() - self::BROWSER_WINDOW ) {
			return null;
		}
		$order->update_meta_data( self::META_BROWSER, (string) time() );
		$order->save();
		return array_merge(
			array(
				'event_id'   => EventIds::purchase( $order->get_id() ),
				'event_name' => 'purchase',
			),
			$this->items->order_commerce( $order )
		);
	}

	/**
	 * Statuses that mean "paid" for an offline gateway set to "when paid": processing or
	 * completed (the merchant saw the money), but completed only for cash on delivery, whose
	 * orders start as processing before any cash changed hands.
	 *
	 * @param \WC_Order $order Order.
	 * @return string[]
	 */
	private function paid_statuses( \WC_Order $order ): array {
		$statuses = 'cod' === $order->get_payment_method() ? array( 'completed' ) : wc_get_is_paid_statuses();

		/**
		 * Filters the order statuses that count as paid for an offline gateway whose purchases
		 * are sent "when paid".
		 *
		 * @since 0.1.0
		 *
		 * @param string[]  $statuses Statuses without "wc-": processing and completed; completed
		 *                            only for cod.
		 * @param \WC_Order $order    Order.
		 */
		$statuses = apply_filters( 'layersync_offline_paid_statuses', $statuses, $order );
		return is_array( $statuses ) ? array_map( 'strval', $statuses ) : array();
	}

	/**
	 * When the purchase happened: when the order was placed ("when placed"), when cash on
	 * delivery was completed, else when it was paid (the order's date, or now when it has none).
	 *
	 * @param \WC_Order $order Order.
	 * @return int Unix time.
	 */
	private function event_time( \WC_Order $order ): int {
		$gateway = $order->get_payment_method();
		if ( in_array( $gateway, $this->commerce->offline_gateways(), true ) ) {
			if ( CommerceSettings::TIMING_PLACED === $this->commerce->timing_for( $gateway ) ) {
				$date = $order->get_date_created();
			} else {
				$date = 'cod' === $gateway ? $order->get_date_completed() : $order->get_date_paid();
			}
		} else {
			$date = $order->get_date_paid() ?? $order->get_date_created();
		}
		return null !== $date ? min( time(), $date->getTimestamp() ) : time();
	}

	/**
	 * Writes the marker (one save()).
	 *
	 * @param \WC_Order $order    Order.
	 * @param string    $event_id Event id.
	 */
	private function mark( \WC_Order $order, string $event_id ): void {
		$order->update_meta_data( self::META_RECORDED, (string) time() );
		$order->update_meta_data( self::META_EVENT_ID, $event_id );
		$order->save();
		$this->done[ $order->get_id() ] = true;
	}

	/**
	 * The order a hook is about: the object it passed, else loaded by id. Refunds and other
	 * order types are not orders here.
	 *
	 * @param mixed $order    Object from the hook, if any.
	 * @param mixed $order_id Id from the hook.
	 * @return \WC_Order|null
	 */
	private static function order( $order, $order_id ): ?\WC_Order {
		if ( $order instanceof \WC_Order ) {
			return $order;
		}
		if ( ! function_exists( 'wc_get_order' ) || ! is_numeric( $order_id ) || (int) $order_id <= 0 ) {
			return null;
		}
		$loaded = wc_get_order( (int) $order_id );
		return $loaded instanceof \WC_Order ? $loaded : null;
	}
}
