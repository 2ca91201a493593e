<?php
/**
 * The WooCommerce integration.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Privacy\ConsentResolver;
use LayerSync\Internal\Settings;

/**
 * Builds the WooCommerce services and registers their hooks once WooCommerce has loaded (and is
 * new enough: LAYERSYNC_MIN_WC). Without WooCommerce nothing is hooked and PageData adds nothing.
 *
 * Event origins (documented for the tracker):
 *
 * | event             | recorded by                        | id                                  | browser half                       |
 * |-------------------|------------------------------------|-------------------------------------|------------------------------------|
 * | view_item         | tracker (LayerSyncConfig.commerce) | tracker's UUIDv7                    | the event itself                   |
 * | view_item_list    | tracker                            | tracker's UUIDv7                    | the event itself                   |
 * | view_cart         | tracker                            | tracker's UUIDv7                    | the event itself                   |
 * | begin_checkout    | tracker                            | tracker's UUIDv7                    | the event itself                   |
 * | add_to_cart       | server (CartEvents)                | server UUIDv7                       | pixel only, id via layersync_events |
 * | remove_from_cart  | server (CartEvents)                | server UUIDv7                       | pixel only, id via layersync_events |
 * | add_shipping_info | server (CheckoutEvents)            | wc-order-{blog}-{order}-add_shipping_info | none                         |
 * | add_payment_info  | server (CheckoutEvents)            | wc-order-{blog}-{order}-add_payment_info  | none                         |
 * | purchase          | server (PurchaseEvents)            | wc-order-{blog}-{order}-purchase    | pixel only, LayerSyncConfig.purchase |
 * | refund            | server (RefundEvents)              | wc-order-{blog}-{order}-refund-{id} | none                               |
 *
 * @since 0.1.0
 */
final class Integration {

	/**
	 * Settings of the integration.
	 *
	 * @var CommerceSettings
	 */
	private CommerceSettings $commerce;

	/**
	 * Cart events.
	 *
	 * @var CartEvents
	 */
	private CartEvents $cart;

	/**
	 * Checkout capture and steps.
	 *
	 * @var CheckoutEvents
	 */
	private CheckoutEvents $checkout;

	/**
	 * Purchases.
	 *
	 * @var PurchaseEvents
	 */
	private PurchaseEvents $purchases;

	/**
	 * Refunds.
	 *
	 * @var RefundEvents
	 */
	private RefundEvents $refunds;

	/**
	 * Tracker configuration.
	 *
	 * @var PageData
	 */
	private PageData $page_data;

	/**
	 * Pixel hand-off of cart events.
	 *
	 * @var BrowserHandoff
	 */
	private BrowserHandoff $handoff;

	/**
	 * Captured identity.
	 *
	 * @var OrderIdentity
	 */
	private OrderIdentity $identity;

	/**
	 * Whether the WooCommerce hooks are registered.
	 *
	 * @var bool
	 */
	private bool $hooked = false;

	/**
	 * Constructor: builds the object graph.
	 *
	 * @param EventRecorder        $recorder Records events.
	 * @param OutboxRepository     $outbox   Outbox.
	 * @param Settings             $settings Settings.
	 * @param ConsentResolver|null $resolver Server-side consent policy.
	 * @param BrowserHandoff|null  $handoff  Pixel hand-off (tests give one with a recording cookie writer).
	 */
	public function __construct( EventRecorder $recorder, OutboxRepository $outbox, Settings $settings, ?ConsentResolver $resolver = null, ?BrowserHandoff $handoff = null ) {
		$this->commerce  = new CommerceSettings();
		$items           = new Items();
		$consent         = new ConsentSnapshot( $settings, $resolver );
		$click_ids       = new ClickIds();
		$request         = new RequestContext( $settings );
		$this->handoff   = $handoff ?? new BrowserHandoff();
		$this->identity  = new OrderIdentity( $settings, $consent, $click_ids, $request );
		$this->cart      = new CartEvents( $recorder, $this->commerce, $items, $consent, $click_ids, $request, $this->handoff, $settings );
		$this->checkout  = new CheckoutEvents( $recorder, $this->commerce, $items, $this->identity, $consent );
		$this->purchases = new PurchaseEvents( $recorder, $outbox, $this->commerce, $items, $this->identity, $consent );
		$this->refunds   = new RefundEvents( $recorder, $this->commerce, $items, $this->identity, $consent );
		$this->page_data = new PageData( $this->commerce, $items, $this->purchases, $this->identity );
	}

	/**
	 * Hooks: the WooCommerce ones as soon as WooCommerce has loaded.
	 */
	public function register(): void {
		if ( did_action( 'woocommerce_loaded' ) ) {
			$this->register_woocommerce_hooks();
			return;
		}
		add_action( 'woocommerce_loaded', array( $this, 'register_woocommerce_hooks' ) );
	}

	/**
	 * `woocommerce_loaded`: registers the WooCommerce hooks (once), unless WooCommerce is older
	 * than supported (Plugin shows a notice then).
	 */
	public function register_woocommerce_hooks(): void {
		if ( $this->hooked || ! self::woocommerce_ready() ) {
			return;
		}
		$this->hooked = true;
		$this->identity->register();
		$this->cart->register();
		$this->checkout->register();
		$this->purchases->register();
		$this->refunds->register();
	}

	/**
	 * Whether a supported WooCommerce is loaded.
	 *
	 * @return bool
	 */
	public static function woocommerce_ready(): bool {
		return class_exists( 'WooCommerce' ) && function_exists( 'wc_get_order' ) && defined( 'WC_VERSION' )
			&& version_compare( (string) constant( 'WC_VERSION' ), LAYERSYNC_MIN_WC, '>=' );
	}

	/**
	 * Whether the WooCommerce hooks are registered.
	 *
	 * @return bool
	 */
	public function is_hooked(): bool {
		return $this->hooked;
	}

	/**
	 * Settings of the integration (admin route).
	 *
	 * @return CommerceSettings
	 */
	public function settings(): CommerceSettings {
		return $this->commerce;
	}

	/**
	 * Tracker configuration provider (Frontend).
	 *
	 * @return PageData
	 */
	public function page_data(): PageData {
		return $this->page_data;
	}

	/**
	 * Purchases (tests, extensions through LayerSync\Plugin).
	 *
	 * @return PurchaseEvents
	 */
	public function purchases(): PurchaseEvents {
		return $this->purchases;
	}

	/**
	 * Refunds.
	 *
	 * @return RefundEvents
	 */
	public function refunds(): RefundEvents {
		return $this->refunds;
	}

	/**
	 * Checkout capture and steps.
	 *
	 * @return CheckoutEvents
	 */
	public function checkout(): CheckoutEvents {
		return $this->checkout;
	}

	/**
	 * Cart events.
	 *
	 * @return CartEvents
	 */
	public function cart(): CartEvents {
		return $this->cart;
	}

	/**
	 * Pixel hand-off of cart events.
	 *
	 * @return BrowserHandoff
	 */
	public function handoff(): BrowserHandoff {
		return $this->handoff;
	}

	/**
	 * Captured identity.
	 *
	 * @return OrderIdentity
	 */
	public function identity(): OrderIdentity {
		return $this->identity;
	}
}
