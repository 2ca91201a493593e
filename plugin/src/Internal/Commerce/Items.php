<?php
/**
 * Products, cart lines and order lines as contract items and commerce objects.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

/**
 * Turns WooCommerce objects into the contract's `commerce` object and its items, the same way
 * for every event so that a product has one identity across the funnel:
 *
 * - `id`: the product's own SKU, or its id when it has none. For a variation that is the
 *   variation's own SKU or id (what product feeds list as the purchasable unit), never the
 *   parent's SKU a variation inherits on display. Filter: `layersync_commerce_item`.
 * - `name`: the product name (the parent's for a variation); `variant`: the variation's
 *   attribute values ("Blue, XL"); `category`: the first product category as a path
 *   ("Clothing > Shirts"); `brand`: the first `product_brand` term (WooCommerce 9.6+ Brands),
 *   when the taxonomy exists.
 * - `price`: the unit price excluding tax, after discounts on cart and order lines (the line
 *   total divided by its quantity); for a product page, the current price excluding tax.
 *
 * Amounts are rounded to the store's price decimals.
 *
 * @since 0.1.0
 */
final class Items {

	public const MAX_ITEMS = 200;

	/**
	 * A product as one item.
	 *
	 * @param \WC_Product $product  Product or variation.
	 * @param int         $quantity Quantity (0: leave out).
	 * @param float|null  $price    Unit price to use instead of the product's current one.
	 * @return array<string, string|int|float>|null Null when the product has no usable id.
	 */
	public function product_item( \WC_Product $product, int $quantity = 0, ?float $price = null ): ?array {
		$parent = null;
		if ( $product->get_parent_id() > 0 ) {
			$candidate = wc_get_product( $product->get_parent_id() );
			$parent    = $candidate instanceof \WC_Product ? $candidate : null;
		}
		$sku           = (string) $product->get_sku( 'edit' );
		$item          = array(
			'id'   => '' !== trim( $sku ) ? trim( $sku ) : (string) $product->get_id(),
			'name' => self::text( null !== $parent ? $parent->get_name() : $product->get_name() ),
		);
		$item['price'] = self::money( $price ?? self::unit_price( $product ) );
		if ( $quantity > 0 ) {
			$item['quantity'] = min( $quantity, 1000000 );
		}
		$category = $this->category( null !== $parent ? $parent->get_id() : $product->get_id() );
		if ( '' !== $category ) {
			$item['category'] = $category;
		}
		if ( null !== $parent ) {
			$variant = self::variant( $product );
			if ( '' !== $variant ) {
				$item['variant'] = $variant;
			}
		}
		$brand = $this->brand( null !== $parent ? $parent->get_id() : $product->get_id() );
		if ( '' !== $brand ) {
			$item['brand'] = $brand;
		}

		/**
		 * Filters one product line of a WooCommerce event (view_item, cart events, purchase,
		 * refund…), e.g. to use the id your product feed uses ("woo-123", a GTIN…).
		 *
		 * Keys: id (required, 1-128 characters), name, price, quantity, category, variant, brand.
		 *
		 * @since 0.1.0
		 *
		 * @param array<string, string|int|float> $item    Item.
		 * @param \WC_Product                     $product Product or variation.
		 */
		$item = apply_filters( 'layersync_commerce_item', $item, $product );
		if ( ! is_array( $item ) || ! isset( $item['id'] ) || ! is_scalar( $item['id'] ) ) {
			return null;
		}
		$item['id'] = mb_substr( (string) $item['id'], 0, 128 );
		return '' === $item['id'] ? null : $item;
	}

	/**
	 * A line of the cart.
	 *
	 * @param array<string, mixed> $cart_item Cart item as WC_Cart::get_cart() returns it.
	 * @param int|null             $quantity  Quantity to report (the change), or null for the line's.
	 * @return array<string, string|int|float>|null
	 */
	public function cart_item( array $cart_item, ?int $quantity = null ): ?array {
		$product = $cart_item['data'] ?? null;
		if ( ! $product instanceof \WC_Product ) {
			$id      = (int) ( $cart_item['variation_id'] ?? 0 ) > 0 ? (int) $cart_item['variation_id'] : (int) ( $cart_item['product_id'] ?? 0 );
			$product = $id > 0 ? wc_get_product( $id ) : null;
		}
		if ( ! $product instanceof \WC_Product ) {
			return null;
		}
		$line_qty = self::quantity( $cart_item['quantity'] ?? 0 );
		$price    = null;
		if ( isset( $cart_item['line_total'] ) && is_numeric( $cart_item['line_total'] ) && $line_qty > 0 && (float) $cart_item['line_total'] > 0 ) {
			$price = (float) $cart_item['line_total'] / $line_qty;
		}
		return $this->product_item( $product, $quantity ?? $line_qty, $price );
	}

	/**
	 * A product line of an order or refund (refund lines have negative quantities and totals:
	 * their absolute values are reported).
	 *
	 * @param \WC_Order_Item_Product $line Line.
	 * @return array<string, string|int|float>|null
	 */
	public function order_item( \WC_Order_Item_Product $line ): ?array {
		$product  = $line->get_product();
		$quantity = self::quantity( abs( (float) $line->get_quantity() ) );
		$total    = abs( (float) $line->get_total() );
		$price    = $quantity > 0 ? $total / $quantity : $total;
		if ( ! $product instanceof \WC_Product ) {
			// The product was deleted since: keep the line with what the order remembers.
			$id = $line->get_variation_id() > 0 ? $line->get_variation_id() : $line->get_product_id();
			if ( $id <= 0 ) {
				return null;
			}
			$item = array(
				'id'    => (string) $id,
				'name'  => self::text( $line->get_name() ),
				'price' => self::money( $price ),
			);
			if ( $quantity > 0 ) {
				$item['quantity'] = $quantity;
			}
			return $item;
		}
		return $this->product_item( $product, $quantity, $price );
	}

	/**
	 * The commerce object of an order: order_id, value (the order total), currency, tax,
	 * shipping, coupon and items.
	 *
	 * @param \WC_Order $order Order.
	 * @return array<string, mixed>
	 */
	public function order_commerce( \WC_Order $order ): array {
		$commerce = array(
			'order_id' => self::order_id( $order ),
			'value'    => self::money( (float) $order->get_total() ),
			'currency' => strtoupper( $order->get_currency() ),
			'tax'      => self::money( (float) $order->get_total_tax() ),
			'shipping' => self::money( (float) $order->get_shipping_total() ),
		);
		$coupon   = self::coupon( $order->get_coupon_codes() );
		if ( '' !== $coupon ) {
			$commerce['coupon'] = $coupon;
		}
		$items = $this->lines( $order->get_items( 'line_item' ) );
		if ( array() !== $items ) {
			$commerce['items'] = $items;
		}
		return $commerce;
	}

	/**
	 * The commerce object of a refund: the order's id, value (the refunded amount, positive),
	 * currency, refunded tax and shipping, and the refunded lines (none for an amount-only refund).
	 *
	 * @param \WC_Order_Refund $refund Refund.
	 * @param \WC_Order        $order  Its order.
	 * @return array<string, mixed>
	 */
	public function refund_commerce( \WC_Order_Refund $refund, \WC_Order $order ): array {
		$commerce = array(
			'order_id' => self::order_id( $order ),
			'value'    => self::money( abs( (float) $refund->get_amount() ) ),
			'currency' => strtoupper( '' !== $refund->get_currency() ? $refund->get_currency() : $order->get_currency() ),
			'tax'      => self::money( abs( (float) $refund->get_total_tax() ) ),
			'shipping' => self::money( abs( (float) $refund->get_shipping_total() ) ),
		);
		$items    = $this->lines( $refund->get_items( 'line_item' ) );
		if ( array() !== $items ) {
			$commerce['items'] = $items;
		}
		return $commerce;
	}

	/**
	 * The commerce object of the cart (view_cart, begin_checkout): value = the lines' total
	 * excluding tax after discounts, currency, coupon and items.
	 *
	 * @param \WC_Cart $cart Cart.
	 * @return array<string, mixed>
	 */
	public function cart_commerce( \WC_Cart $cart ): array {
		$items = array();
		$value = 0.0;
		foreach ( $cart->get_cart() as $cart_item ) {
			if ( ! is_array( $cart_item ) ) {
				continue;
			}
			$item = $this->cart_item( $cart_item );
			if ( null === $item ) {
				continue;
			}
			$value += (float) $item['price'] * (int) ( $item['quantity'] ?? 1 );
			if ( count( $items ) < self::MAX_ITEMS ) {
				$items[] = $item;
			}
		}
		$commerce = array(
			'value'    => self::money( $value ),
			'currency' => self::currency(),
		);
		$coupon   = self::coupon( $cart->get_applied_coupons() );
		if ( '' !== $coupon ) {
			$commerce['coupon'] = $coupon;
		}
		if ( array() !== $items ) {
			$commerce['items'] = $items;
		}
		return $commerce;
	}

	/**
	 * The commerce object of one item changing in the cart: value = price × quantity.
	 *
	 * @param array<string, string|int|float> $item Item with price and quantity.
	 * @return array<string, mixed>
	 */
	public static function single_item_commerce( array $item ): array {
		return array(
			'value'    => self::money( (float) ( $item['price'] ?? 0 ) * (int) ( $item['quantity'] ?? 1 ) ),
			'currency' => self::currency(),
			'items'    => array( $item ),
		);
	}

	/**
	 * The order id as the merchant sees it (the order number, which sequential-number plugins
	 * change), the same for a purchase and its refunds.
	 *
	 * @param \WC_Order $order Order.
	 * @return string
	 */
	public static function order_id( \WC_Order $order ): string {
		$number = trim( (string) $order->get_order_number() );
		return mb_substr( '' !== $number ? $number : (string) $order->get_id(), 0, 128 );
	}

	/**
	 * The store currency (ISO 4217, upper case).
	 *
	 * @return string
	 */
	public static function currency(): string {
		return strtoupper( function_exists( 'get_woocommerce_currency' ) ? (string) get_woocommerce_currency() : '' );
	}

	/**
	 * Rounds an amount to the store's price decimals.
	 *
	 * @param float $amount Amount.
	 * @return float
	 */
	public static function money( float $amount ): float {
		$decimals = function_exists( 'wc_get_price_decimals' ) ? (int) wc_get_price_decimals() : 2;
		return round( $amount, max( 0, min( 6, $decimals ) ) );
	}

	/**
	 * Product lines of an order or refund as items (at most MAX_ITEMS).
	 *
	 * @param array<mixed> $lines Order items.
	 * @return array<int, array<string, string|int|float>>
	 */
	private function lines( array $lines ): array {
		$items = array();
		foreach ( $lines as $line ) {
			if ( ! $line instanceof \WC_Order_Item_Product ) {
				continue;
			}
			$item = $this->order_item( $line );
			if ( null !== $item ) {
				$items[] = $item;
			}
			if ( count( $items ) >= self::MAX_ITEMS ) {
				break;
			}
		}
		return $items;
	}

	/**
	 * A product's current unit price excluding tax.
	 *
	 * @param \WC_Product $product Product.
	 * @return float
	 */
	private static function unit_price( \WC_Product $product ): float {
		$price = function_exists( 'wc_get_price_excluding_tax' ) ? wc_get_price_excluding_tax( $product ) : $product->get_price();
		return is_numeric( $price ) ? (float) $price : 0.0;
	}

	/**
	 * The first product category of a product as a path, "Parent > Child".
	 *
	 * @param int $product_id Product (not variation) id.
	 * @return string
	 */
	private function category( int $product_id ): string {
		$terms = get_the_terms( $product_id, 'product_cat' );
		if ( ! is_array( $terms ) || array() === $terms ) {
			return '';
		}
		usort( $terms, static fn( \WP_Term $a, \WP_Term $b ): int => $a->term_id <=> $b->term_id );
		$term  = $terms[0];
		$names = array();
		foreach ( array_reverse( get_ancestors( $term->term_id, 'product_cat', 'taxonomy' ) ) as $ancestor_id ) {
			$ancestor = get_term( (int) $ancestor_id, 'product_cat' );
			if ( $ancestor instanceof \WP_Term ) {
				$names[] = $ancestor->name;
			}
		}
		$names[] = $term->name;
		return self::text( implode( ' > ', array_map( 'wp_specialchars_decode', $names ) ) );
	}

	/**
	 * The first brand of a product, when the store has WooCommerce Brands.
	 *
	 * @param int $product_id Product (not variation) id.
	 * @return string
	 */
	private function brand( int $product_id ): string {
		if ( ! taxonomy_exists( 'product_brand' ) ) {
			return '';
		}
		$terms = get_the_terms( $product_id, 'product_brand' );
		return is_array( $terms ) && isset( $terms[0] ) ? self::text( wp_specialchars_decode( $terms[0]->name ) ) : '';
	}

	/**
	 * A variation's attribute values, "Blue, XL".
	 *
	 * @param \WC_Product $variation Variation.
	 * @return string
	 */
	private static function variant( \WC_Product $variation ): string {
		if ( $variation instanceof \WC_Product_Variation && function_exists( 'wc_get_formatted_variation' ) ) {
			return self::text( wp_strip_all_tags( (string) wc_get_formatted_variation( $variation, true, false, false ) ) );
		}
		return '';
	}

	/**
	 * Coupon codes, comma-separated, at most 128 characters.
	 *
	 * @param array<mixed> $codes Codes.
	 * @return string
	 */
	private static function coupon( array $codes ): string {
		$codes = array_filter( array_map( static fn( $code ): string => is_scalar( $code ) ? trim( (string) $code ) : '', $codes ) );
		return mb_substr( implode( ',', $codes ), 0, 128 );
	}

	/**
	 * A positive whole quantity from a cart or order value (0 when there is none).
	 *
	 * @param mixed $quantity Quantity.
	 * @return int
	 */
	private static function quantity( $quantity ): int {
		return is_numeric( $quantity ) ? max( 0, (int) round( (float) $quantity ) ) : 0;
	}

	/**
	 * Text for a name field: decoded, trimmed, at most 256 characters.
	 *
	 * @param string $text Text.
	 * @return string
	 */
	private static function text( string $text ): string {
		return mb_substr( trim( html_entity_decode( $text, ENT_QUOTES, 'UTF-8' ) ), 0, 256 );
	}
}
