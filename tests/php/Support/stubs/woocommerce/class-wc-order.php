<?php
/**
 * Stand-in for WooCommerce orders, refunds and order items, following WooCommerce's own code
 * where LayerSync depends on it: set_status() and the status transition hooks fired after save()
 * (`woocommerce_order_status_{to}` with ($id, $order), `…_{from}_to_{to}`,
 * `woocommerce_order_status_changed`), payment_complete(), date_paid / date_completed,
 * calculate_totals(), update_taxes(), refunds. Stored either like HPOS (own tables, no post) or
 * like legacy storage (posts + post meta): see LayerSync_Stand_In_Order_Store.
 *
 * @package LayerSync\Tests
 */

// phpcs:disable Generic.Files.OneObjectStructurePerFile.MultipleFound, Squiz.Commenting.FunctionComment.Missing, Squiz.Commenting.VariableComment.Missing, Generic.Commenting.DocComment.MissingShort, Squiz.Commenting.ClassComment.Missing, WordPress.DB.DirectDatabaseQuery, WordPress.NamingConventions.PrefixAllGlobals

/**
 * Where stand-in orders live. HPOS: `{prefix}layersync_standin_orders` and `…_orders_meta`
 * (no post at all, so get_post_meta() on an order id finds nothing). Legacy: a `shop_order` /
 * `shop_order_refund` post whose custom meta is post meta.
 */
final class LayerSync_Stand_In_Order_Store {

	public static function hpos(): bool {
		return ! empty( $GLOBALS['layersync_wc_stand_in_hpos'] );
	}

	public static function orders_table(): string {
		global $wpdb;
		return $wpdb->prefix . 'layersync_standin_orders';
	}

	public static function meta_table(): string {
		global $wpdb;
		return $wpdb->prefix . 'layersync_standin_orders_meta';
	}

	public static function install(): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- fixed table names of the stand-in.
		$wpdb->query( 'CREATE TABLE IF NOT EXISTS ' . self::orders_table() . ' (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, type varchar(20) NOT NULL, status varchar(20) NOT NULL, parent_order_id bigint(20) unsigned NOT NULL DEFAULT 0, data longtext NOT NULL, PRIMARY KEY (id), KEY parent_order_id (parent_order_id)) ' . $wpdb->get_charset_collate() );
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- fixed table names of the stand-in.
		$wpdb->query( 'CREATE TABLE IF NOT EXISTS ' . self::meta_table() . ' (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, order_id bigint(20) unsigned NOT NULL, meta_key varchar(255) NOT NULL, meta_value longtext, PRIMARY KEY (id), KEY order_id (order_id)) ' . $wpdb->get_charset_collate() );
	}

	public static function create( string $type, string $status, int $parent_id, array $data ): int {
		global $wpdb;
		if ( self::hpos() ) {
			$wpdb->insert(
				self::orders_table(),
				array(
					'type'            => $type,
					'status'          => 'wc-' . $status,
					'parent_order_id' => $parent_id,
					'data'            => maybe_serialize( $data ),
				)
			);
			return (int) $wpdb->insert_id;
		}
		$id = wp_insert_post(
			array(
				'post_type'   => $type,
				'post_status' => 'wc-' . $status,
				'post_parent' => $parent_id,
				'post_title'  => 'Order',
			)
		);
		$wpdb->insert(
			$wpdb->postmeta,
			array(
				'post_id'    => $id,
				'meta_key'   => '_stand_in_data',
				'meta_value' => maybe_serialize( $data ),
			)
		);
		return (int) $id;
	}

	public static function update( int $id, string $status, int $parent_id, array $data ): void {
		global $wpdb;
		if ( self::hpos() ) {
			$wpdb->update(
				self::orders_table(),
				array(
					'status'          => 'wc-' . $status,
					'parent_order_id' => $parent_id,
					'data'            => maybe_serialize( $data ),
				),
				array( 'id' => $id )
			);
			return;
		}
		$wpdb->update(
			$wpdb->posts,
			array(
				'post_status' => 'wc-' . $status,
				'post_parent' => $parent_id,
			),
			array( 'ID' => $id )
		);
		$wpdb->update(
			$wpdb->postmeta,
			array( 'meta_value' => maybe_serialize( $data ) ),
			array(
				'post_id'  => $id,
				'meta_key' => '_stand_in_data',
			)
		);
		clean_post_cache( $id );
	}

	/**
	 * A stored order: type, status (without "wc-"), parent id, data.
	 *
	 * @return array{type: string, status: string, parent_id: int, data: array<string, mixed>}|null
	 */
	public static function read( int $id ): ?array {
		global $wpdb;
		if ( self::hpos() ) {
			$row = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM %i WHERE id = %d', self::orders_table(), $id ), ARRAY_A );
			if ( ! is_array( $row ) ) {
				return null;
			}
			return array(
				'type'      => (string) $row['type'],
				'status'    => substr( (string) $row['status'], 3 ),
				'parent_id' => (int) $row['parent_order_id'],
				'data'      => (array) maybe_unserialize( $row['data'] ),
			);
		}
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT ID, post_type, post_status, post_parent FROM {$wpdb->posts} WHERE ID = %d AND post_type IN ('shop_order', 'shop_order_refund')", $id ), ARRAY_A );
		if ( ! is_array( $row ) ) {
			return null;
		}
		$data = $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_stand_in_data'", $id ) );
		return array(
			'type'      => (string) $row['post_type'],
			'status'    => substr( (string) $row['post_status'], 3 ),
			'parent_id' => (int) $row['post_parent'],
			'data'      => (array) maybe_unserialize( (string) $data ),
		);
	}

	public static function delete( int $id ): void {
		global $wpdb;
		if ( self::hpos() ) {
			$wpdb->delete( self::orders_table(), array( 'id' => $id ) );
			$wpdb->delete( self::meta_table(), array( 'order_id' => $id ) );
			return;
		}
		wp_delete_post( $id, true );
	}

	/**
	 * Ids of orders of a type (and parent), newest first.
	 *
	 * @return int[]
	 */
	public static function ids( string $type, int $parent_id = -1 ): array {
		global $wpdb;
		if ( self::hpos() ) {
			$sql = $parent_id >= 0
				? $wpdb->prepare( 'SELECT id FROM %i WHERE type = %s AND parent_order_id = %d ORDER BY id DESC', self::orders_table(), $type, $parent_id )
				: $wpdb->prepare( 'SELECT id FROM %i WHERE type = %s ORDER BY id DESC', self::orders_table(), $type );
		} else {
			$sql = $parent_id >= 0
				? $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = %s AND post_parent = %d ORDER BY ID DESC", $type, $parent_id )
				: $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = %s ORDER BY ID DESC", $type );
		}
		return array_map( 'intval', (array) $wpdb->get_col( $sql ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- prepared above.
	}

	/**
	 * Custom meta rows of an order.
	 *
	 * @return array<int, array{id: int, key: string, value: mixed}>
	 */
	public static function meta_rows( int $id ): array {
		global $wpdb;
		if ( self::hpos() ) {
			$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT id, meta_key, meta_value FROM %i WHERE order_id = %d ORDER BY id', self::meta_table(), $id ), ARRAY_A );
		} else {
			$rows = $wpdb->get_results( $wpdb->prepare( "SELECT meta_id AS id, meta_key, meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key NOT LIKE %s ORDER BY meta_id", $id, $wpdb->esc_like( '_stand_in_' ) . '%' ), ARRAY_A );
		}
		$out = array();
		foreach ( (array) $rows as $row ) {
			$out[] = array(
				'id'    => (int) $row['id'],
				'key'   => (string) $row['meta_key'],
				'value' => maybe_unserialize( $row['meta_value'] ),
			);
		}
		return $out;
	}

	public static function add_meta( int $id, string $key, $value ): int {
		global $wpdb;
		if ( self::hpos() ) {
			$wpdb->insert(
				self::meta_table(),
				array(
					'order_id'   => $id,
					'meta_key'   => $key,
					'meta_value' => maybe_serialize( $value ),
				)
			);
			return (int) $wpdb->insert_id;
		}
		return (int) add_metadata( 'post', $id, wp_slash( $key ), wp_slash( $value ) );
	}

	public static function update_meta( int $meta_id, string $key, $value ): void {
		global $wpdb;
		if ( self::hpos() ) {
			$wpdb->update( self::meta_table(), array( 'meta_value' => maybe_serialize( $value ) ), array( 'id' => $meta_id ) );
			return;
		}
		update_metadata_by_mid( 'post', $meta_id, $value, $key );
	}

	public static function delete_meta( int $meta_id ): void {
		global $wpdb;
		if ( self::hpos() ) {
			$wpdb->delete( self::meta_table(), array( 'id' => $meta_id ) );
			return;
		}
		delete_metadata_by_mid( 'post', $meta_id );
	}
}

/**
 * Order item base.
 */
abstract class WC_Order_Item extends WC_Data {
	protected $object_type = 'order_item';
	protected $data        = array(
		'order_id' => 0,
		'name'     => '',
	);

	public function __construct( $item = 0 ) {
		if ( $item instanceof WC_Order_Item ) {
			$this->data = array_merge( $this->data, $item->get_all_props() );
			$this->set_id( $item->get_id() );
			foreach ( $item->get_meta_data() as $meta ) {
				$this->add_meta_data( $meta->key, $meta->value );
			}
		}
		$this->set_object_read( true );
	}

	abstract public function get_type();

	public function get_all_props() {
		return array_merge( $this->data, $this->changes );
	}

	public function load_props( array $props, array $meta ) {
		$this->data = array_merge( $this->data, $props );
		$this->set_meta_rows( $meta );
	}

	public function get_order_id( $context = 'view' ) {
		return (int) $this->get_prop( 'order_id', $context );
	}

	public function set_order_id( $value ) {
		$this->set_prop( 'order_id', absint( $value ) );
	}

	public function get_name( $context = 'view' ) {
		return $this->get_prop( 'name', $context );
	}

	public function set_name( $value ) {
		$this->set_prop( 'name', wp_check_invalid_utf8( (string) $value ) );
	}

	public function get_order() {
		return wc_get_order( $this->get_order_id() );
	}

	public function get_taxes( $context = 'view' ) {
		return $this->get_prop( 'taxes', $context );
	}

	public function set_taxes( $raw_tax_data ) {
		$raw_tax_data = maybe_unserialize( $raw_tax_data );
		$tax_data     = array(
			'total'    => array(),
			'subtotal' => array(),
		);
		if ( isset( $raw_tax_data['total'] ) ) {
			$tax_data['total'] = array_map( 'wc_format_decimal', (array) $raw_tax_data['total'] );
		}
		if ( isset( $raw_tax_data['subtotal'] ) ) {
			$tax_data['subtotal'] = array_map( 'wc_format_decimal', (array) $raw_tax_data['subtotal'] );
		}
		$this->set_prop( 'taxes', $tax_data );
		$this->set_prop( 'total_tax', (string) array_sum( $tax_data['total'] ) );
		if ( array_key_exists( 'subtotal_tax', $this->data ) ) {
			$this->set_prop( 'subtotal_tax', (string) array_sum( $tax_data['subtotal'] ) );
		}
	}

	/**
	 * Items are saved with their order.
	 */
	public function save() {
		$this->apply_changes();
		return $this->get_id();
	}
}

/**
 * Product line.
 */
class WC_Order_Item_Product extends WC_Order_Item {
	protected $data = array(
		'order_id'     => 0,
		'name'         => '',
		'product_id'   => 0,
		'variation_id' => 0,
		'quantity'     => 1,
		'subtotal'     => 0,
		'subtotal_tax' => 0,
		'total'        => 0,
		'total_tax'    => 0,
		'taxes'        => array(
			'subtotal' => array(),
			'total'    => array(),
		),
	);

	public function get_type() {
		return 'line_item';
	}

	public function set_product( $product ) {
		if ( $product->is_type( 'variation' ) ) {
			$this->set_product_id( $product->get_parent_id() );
			$this->set_variation_id( $product->get_id() );
		} else {
			$this->set_product_id( $product->get_id() );
		}
		$this->set_name( $product->get_name() );
	}

	public function get_product() {
		$id      = $this->get_variation_id() ? $this->get_variation_id() : $this->get_product_id();
		$product = $id ? wc_get_product( $id ) : false;
		return apply_filters( 'woocommerce_order_item_product', $product, $this );
	}

	public function get_product_id( $context = 'view' ) {
		return (int) $this->get_prop( 'product_id', $context );
	}

	public function set_product_id( $value ) {
		$this->set_prop( 'product_id', absint( $value ) );
	}

	public function get_variation_id( $context = 'view' ) {
		return (int) $this->get_prop( 'variation_id', $context );
	}

	public function set_variation_id( $value ) {
		$this->set_prop( 'variation_id', absint( $value ) );
	}

	public function get_quantity( $context = 'view' ) {
		return $this->get_prop( 'quantity', $context );
	}

	public function set_quantity( $value ) {
		$this->set_prop( 'quantity', wc_stock_amount( $value ) );
	}

	public function get_subtotal( $context = 'view' ) {
		return $this->get_prop( 'subtotal', $context );
	}

	public function set_subtotal( $value ) {
		$this->set_prop( 'subtotal', wc_format_decimal( $value ) );
	}

	public function get_total( $context = 'view' ) {
		return $this->get_prop( 'total', $context );
	}

	public function set_total( $value ) {
		$this->set_prop( 'total', wc_format_decimal( $value ) );
		// As WooCommerce: the subtotal cannot be less than the total.
		if ( '' === (string) $this->get_subtotal() || (float) $this->get_subtotal() < (float) $this->get_total() ) {
			$this->set_subtotal( $value );
		}
	}

	public function get_subtotal_tax( $context = 'view' ) {
		return $this->get_prop( 'subtotal_tax', $context );
	}

	public function get_total_tax( $context = 'view' ) {
		return $this->get_prop( 'total_tax', $context );
	}
}

/**
 * Shipping line.
 */
class WC_Order_Item_Shipping extends WC_Order_Item {
	protected $data = array(
		'order_id'    => 0,
		'name'        => '',
		'method_id'   => '',
		'instance_id' => '',
		'total'       => 0,
		'total_tax'   => 0,
		'taxes'       => array(
			'total' => array(),
		),
	);

	public function get_type() {
		return 'shipping';
	}

	public function set_method_title( $value ) {
		$this->set_name( $value );
	}

	public function get_method_title( $context = 'view' ) {
		return $this->get_name( $context );
	}

	public function set_method_id( $value ) {
		$this->set_prop( 'method_id', (string) $value );
	}

	public function get_method_id( $context = 'view' ) {
		return $this->get_prop( 'method_id', $context );
	}

	public function set_total( $value ) {
		$this->set_prop( 'total', wc_format_decimal( $value ) );
	}

	public function get_total( $context = 'view' ) {
		return $this->get_prop( 'total', $context );
	}

	public function get_total_tax( $context = 'view' ) {
		return $this->get_prop( 'total_tax', $context );
	}
}

/**
 * Orders and refunds.
 */
abstract class WC_Abstract_Order extends WC_Data {
	protected $object_type = 'order';
	/** @var array<int|string, WC_Order_Item> */
	protected $items = array();
	/** @var string[] */
	protected $coupon_codes = array();
	/** @var int */
	protected $next_item = 1;

	public function __construct( $order = 0 ) {
		$this->data = array_merge(
			array(
				'parent_id'          => 0,
				'status'             => '',
				'currency'           => '',
				'prices_include_tax' => false,
				'date_created'       => null,
				'date_modified'      => null,
				'discount_total'     => 0,
				'discount_tax'       => 0,
				'shipping_total'     => 0,
				'shipping_tax'       => 0,
				'cart_tax'           => 0,
				'total'              => 0,
				'total_tax'          => 0,
			),
			$this->data
		);
		if ( is_numeric( $order ) && $order > 0 ) {
			$this->set_id( $order );
		} elseif ( $order instanceof self ) {
			$this->set_id( $order->get_id() );
		}
		if ( $this->get_id() > 0 ) {
			$this->read();
		}
		$this->set_object_read( true );
	}

	abstract public function get_type();

	protected function read() {
		$stored = LayerSync_Stand_In_Order_Store::read( $this->get_id() );
		if ( null === $stored ) {
			throw new Exception( 'Invalid order.' );
		}
		$data = $stored['data'];
		foreach ( array( 'date_created', 'date_modified', 'date_paid', 'date_completed' ) as $date ) {
			if ( isset( $data[ $date ] ) && is_numeric( $data[ $date ] ) ) {
				$data[ $date ] = new WC_DateTime( '@' . (int) $data[ $date ], new DateTimeZone( 'UTC' ) );
			}
		}
		$this->items = array();
		foreach ( (array) ( $data['_items'] ?? array() ) as $stored_item ) {
			$class = $stored_item['class'];
			$item  = new $class();
			$item->load_props( $stored_item['props'], $stored_item['meta'] );
			$item->set_id( $stored_item['id'] );
			$this->items[ (int) $stored_item['id'] ] = $item;
		}
		$this->coupon_codes = (array) ( $data['_coupon_codes'] ?? array() );
		$this->next_item    = (int) ( $data['_next_item'] ?? 1 );
		unset( $data['_items'], $data['_coupon_codes'], $data['_next_item'] );
		$this->data              = array_merge( $this->data, array_intersect_key( $data, $this->data ) );
		$this->data['status']    = $stored['status'];
		$this->data['parent_id'] = $stored['parent_id'];
		$this->set_meta_rows( LayerSync_Stand_In_Order_Store::meta_rows( $this->get_id() ) );
	}

	public function save() {
		$creating = 0 === $this->get_id();
		if ( $creating && null === $this->get_date_created( 'edit' ) ) {
			$this->set_date_created( time() );
		}
		$this->before_create_or_update( $creating );
		$this->apply_changes();
		$status = (string) $this->data['status'];
		if ( '' === $status ) {
			$status = 'pending';
		}
		if ( $creating ) {
			$this->set_id( LayerSync_Stand_In_Order_Store::create( $this->get_type(), $status, (int) $this->data['parent_id'], array() ) );
		}
		foreach ( $this->items as $key => $item ) {
			if ( ! is_int( $key ) || 0 === $item->get_id() ) {
				$item->set_id( $this->get_id() * 1000 + $this->next_item++ );
				unset( $this->items[ $key ] );
				$this->items[ $item->get_id() ] = $item;
			}
			$item->set_order_id( $this->get_id() );
			$item->apply_changes();
		}
		LayerSync_Stand_In_Order_Store::update( $this->get_id(), $status, (int) $this->data['parent_id'], $this->stored_data() );
		$order_id = $this->get_id();
		$this->write_meta(
			static fn( $key, $value ) => LayerSync_Stand_In_Order_Store::add_meta( $order_id, $key, $value ),
			static fn( $meta_id, $key, $value ) => LayerSync_Stand_In_Order_Store::update_meta( $meta_id, $key, $value ),
			static fn( $meta_id ) => LayerSync_Stand_In_Order_Store::delete_meta( $meta_id )
		);
		if ( $creating ) {
			do_action( 'woocommerce_new_' . ( 'shop_order' === $this->get_type() ? 'order' : 'order_refund' ), $this->get_id(), $this );
		}
		return $this->get_id();
	}

	protected function before_create_or_update( bool $creating ) {
	}

	protected function stored_data(): array {
		$data = $this->data;
		foreach ( array( 'date_created', 'date_modified', 'date_paid', 'date_completed' ) as $date ) {
			if ( isset( $data[ $date ] ) && $data[ $date ] instanceof DateTimeInterface ) {
				$data[ $date ] = $data[ $date ]->getTimestamp();
			}
		}
		$data['_items'] = array();
		foreach ( $this->items as $item ) {
			$data['_items'][] = array(
				'class' => get_class( $item ),
				'id'    => $item->get_id(),
				'props' => $item->get_all_props(),
				'meta'  => array_map( static fn( $meta ) => $meta->get_data(), $item->get_meta_data() ),
			);
		}
		$data['_coupon_codes'] = $this->coupon_codes;
		$data['_next_item']    = $this->next_item;
		return $data;
	}

	public function delete( $force_delete = false ) {
		LayerSync_Stand_In_Order_Store::delete( $this->get_id() );
		$this->set_id( 0 );
		return true;
	}

	/* ---------- props ---------- */

	public function get_parent_id( $context = 'view' ) {
		return (int) $this->get_prop( 'parent_id', $context );
	}

	public function set_parent_id( $value ) {
		$this->set_prop( 'parent_id', absint( $value ) );
	}

	public function get_status( $context = 'view' ) {
		$status = $this->get_prop( 'status', $context );
		if ( empty( $status ) && 'view' === $context ) {
			$status = apply_filters( 'woocommerce_default_order_status', 'pending' );
		}
		return $status;
	}

	public function set_status( $new_status ) {
		$old_status = $this->get_status();
		$new_status = 'wc-' === substr( $new_status, 0, 3 ) ? substr( $new_status, 3 ) : $new_status;
		$this->set_prop( 'status', $new_status );
		return array(
			'from' => $old_status,
			'to'   => $new_status,
		);
	}

	public function has_status( $status ) {
		return apply_filters( 'woocommerce_order_has_status', ( is_array( $status ) && in_array( $this->get_status(), $status, true ) ) || $this->get_status() === $status, $this, $status );
	}

	public function get_currency( $context = 'view' ) {
		return $this->get_prop( 'currency', $context );
	}

	public function set_currency( $value ) {
		$this->set_prop( 'currency', $value );
	}

	public function get_prices_include_tax( $context = 'view' ) {
		return (bool) $this->get_prop( 'prices_include_tax', $context );
	}

	public function set_prices_include_tax( $value ) {
		$this->set_prop( 'prices_include_tax', (bool) $value );
	}

	public function get_date_created( $context = 'view' ) {
		return $this->get_prop( 'date_created', $context );
	}

	public function set_date_created( $date = null ) {
		$this->set_date_prop( 'date_created', $date );
	}

	public function set_date_modified( $date = null ) {
		$this->set_date_prop( 'date_modified', $date );
	}

	public function get_total( $context = 'view' ) {
		return $this->get_prop( 'total', $context );
	}

	public function set_total( $value, $deprecated = '' ) {
		$this->set_prop( 'total', wc_format_decimal( $value, wc_get_price_decimals() ) );
	}

	public function get_total_tax( $context = 'view' ) {
		return $this->get_prop( 'total_tax', $context );
	}

	protected function set_total_tax( $value ) {
		$this->set_prop( 'total_tax', wc_format_decimal( $value ) );
	}

	public function get_cart_tax( $context = 'view' ) {
		return $this->get_prop( 'cart_tax', $context );
	}

	public function set_cart_tax( $value ) {
		$this->set_prop( 'cart_tax', wc_format_decimal( $value ) );
		$this->set_total_tax( (float) $this->get_cart_tax() + (float) $this->get_shipping_tax() );
	}

	public function get_shipping_tax( $context = 'view' ) {
		return $this->get_prop( 'shipping_tax', $context );
	}

	public function set_shipping_tax( $value ) {
		$this->set_prop( 'shipping_tax', wc_format_decimal( $value ) );
		$this->set_total_tax( (float) $this->get_cart_tax() + (float) $this->get_shipping_tax() );
	}

	public function get_shipping_total( $context = 'view' ) {
		return $this->get_prop( 'shipping_total', $context );
	}

	public function set_shipping_total( $value ) {
		$this->set_prop( 'shipping_total', wc_format_decimal( $value ) );
	}

	public function get_discount_total( $context = 'view' ) {
		return $this->get_prop( 'discount_total', $context );
	}

	public function set_discount_total( $value ) {
		$this->set_prop( 'discount_total', wc_format_decimal( $value ) );
	}

	/* ---------- items ---------- */

	public function get_items( $types = 'line_item' ) {
		$types = (array) $types;
		$out   = array();
		foreach ( $this->items as $id => $item ) {
			if ( in_array( $item->get_type(), $types, true ) ) {
				$out[ $id ] = $item;
			}
		}
		return apply_filters( 'woocommerce_order_get_items', $out, $this, $types );
	}

	public function get_item( $item_id, $load_from_db = true ) {
		return $this->items[ (int) $item_id ] ?? false;
	}

	public function add_item( $item ) {
		$this->items[ 'new:' . count( $this->items ) . ':' . wp_rand() ] = $item;
	}

	public function get_shipping_methods() {
		return $this->get_items( 'shipping' );
	}

	public function get_item_count( $item_type = '' ) {
		$count = 0;
		foreach ( $this->get_items( '' === $item_type ? 'line_item' : $item_type ) as $item ) {
			$count += (int) $item->get_quantity();
		}
		return $count;
	}

	public function add_product( $product, $qty = 1, $args = array() ) {
		$total = wc_get_price_excluding_tax(
			$product,
			array( 'qty' => $qty )
		);
		$item  = new WC_Order_Item_Product();
		$item->set_product( $product );
		$item->set_quantity( $qty );
		$item->set_subtotal( $args['subtotal'] ?? $total );
		$item->set_total( $args['total'] ?? $total );
		$this->add_item( $item );
		return 0;
	}

	public function get_coupon_codes() {
		return $this->coupon_codes;
	}

	/**
	 * Fixed cart coupon, spread over the lines in proportion to their totals (WooCommerce's
	 * fixed_cart coupon).
	 *
	 * @param string|WC_Coupon $raw_coupon Coupon.
	 * @return true|WP_Error
	 */
	public function apply_coupon( $raw_coupon ) {
		$coupon = $raw_coupon instanceof WC_Coupon ? $raw_coupon : new WC_Coupon( (string) $raw_coupon );
		if ( ! $coupon->get_id() ) {
			return new WP_Error( 'invalid_coupon', 'Invalid coupon' );
		}
		$lines    = $this->get_items();
		$subtotal = 0.0;
		foreach ( $lines as $line ) {
			$subtotal += (float) $line->get_subtotal();
		}
		$discount = min( $subtotal, (float) $coupon->get_amount() );
		foreach ( $lines as $line ) {
			$share = $subtotal > 0 ? $discount * (float) $line->get_subtotal() / $subtotal : 0;
			$line->set_total( (float) $line->get_subtotal() - $share );
		}
		$this->coupon_codes[] = $coupon->get_code();
		$this->calculate_totals( false );
		return true;
	}

	public function update_taxes() {
		$cart_tax     = 0.0;
		$shipping_tax = 0.0;
		foreach ( $this->get_items() as $item ) {
			$taxes     = $item->get_taxes();
			$cart_tax += array_sum( array_map( 'floatval', (array) ( $taxes['total'] ?? array() ) ) );
		}
		foreach ( $this->get_shipping_methods() as $item ) {
			$taxes         = $item->get_taxes();
			$shipping_tax += array_sum( array_map( 'floatval', (array) ( $taxes['total'] ?? array() ) ) );
		}
		$this->set_cart_tax( $cart_tax );
		$this->set_shipping_tax( $shipping_tax );
	}

	public function calculate_totals( $and_taxes = true ) {
		$cart_subtotal  = 0.0;
		$cart_total     = 0.0;
		$shipping_total = 0.0;
		foreach ( $this->get_items() as $item ) {
			$cart_subtotal += (float) $item->get_subtotal();
			$cart_total    += (float) $item->get_total();
		}
		foreach ( $this->get_shipping_methods() as $shipping ) {
			$shipping_total += round( (float) $shipping->get_total(), wc_get_price_decimals() );
		}
		$this->set_shipping_total( $shipping_total );
		if ( $and_taxes ) {
			$this->update_taxes();
		}
		$this->set_discount_total( round( $cart_subtotal - $cart_total, wc_get_price_decimals() ) );
		$this->set_total( round( $cart_total + $this->get_shipping_total() + (float) $this->get_cart_tax() + (float) $this->get_shipping_tax(), wc_get_price_decimals() ) );
		$this->save();
		return $this->get_total();
	}
}

/**
 * Regular order.
 */
class WC_Order extends WC_Abstract_Order {
	protected $status_transition = false;
	protected $data              = array(
		'customer_id'          => 0,
		'order_key'            => '',
		'billing'              => array(
			'first_name' => '',
			'last_name'  => '',
			'company'    => '',
			'address_1'  => '',
			'address_2'  => '',
			'city'       => '',
			'state'      => '',
			'postcode'   => '',
			'country'    => '',
			'email'      => '',
			'phone'      => '',
		),
		'shipping'             => array(
			'first_name' => '',
			'last_name'  => '',
			'company'    => '',
			'address_1'  => '',
			'address_2'  => '',
			'city'       => '',
			'state'      => '',
			'postcode'   => '',
			'country'    => '',
			'phone'      => '',
		),
		'payment_method'       => '',
		'payment_method_title' => '',
		'transaction_id'       => '',
		'customer_ip_address'  => '',
		'customer_user_agent'  => '',
		'created_via'          => '',
		'customer_note'        => '',
		'date_completed'       => null,
		'date_paid'            => null,
		'cart_hash'            => '',
	);

	public function get_type() {
		return 'shop_order';
	}

	public function __call( $name, $args ) {
		if ( 1 === preg_match( '/^(get|set)_(billing|shipping)_([a-z_0-9]+)$/', $name, $m ) ) {
			if ( 'get' === $m[1] ) {
				$address = $this->get_prop( $m[2], $args[0] ?? 'view' );
				return (string) ( $address[ $m[3] ] ?? '' );
			}
			$address          = (array) $this->get_prop( $m[2], 'edit' );
			$address[ $m[3] ] = (string) ( $args[0] ?? '' );
			$this->set_prop( $m[2], $address );
			return null;
		}
		throw new BadMethodCallException( "WC_Order stand-in has no method $name()" );
	}

	public function set_address( $address, $type = 'billing' ) {
		foreach ( (array) $address as $key => $value ) {
			$this->{"set_{$type}_{$key}"}( $value );
		}
	}

	protected function before_create_or_update( bool $creating ) {
		if ( '' === (string) $this->get_prop( 'order_key', 'edit' ) ) {
			$this->set_prop( 'order_key', 'wc_order_' . wp_generate_password( 13, false ) );
		}
	}

	public function save() {
		parent::save();
		$this->status_transition();
		return $this->get_id();
	}

	public function set_status( $new_status, $note = '', $manual_update = false ) {
		$result = parent::set_status( $new_status );
		if ( true === $this->object_read && ! empty( $result['from'] ) && $result['from'] !== $result['to'] ) {
			$this->status_transition = array(
				'from'   => ! empty( $this->status_transition['from'] ) ? $this->status_transition['from'] : $result['from'],
				'to'     => $result['to'],
				'note'   => $note,
				'manual' => (bool) $manual_update,
			);
			$this->maybe_set_date_paid();
			$this->maybe_set_date_completed();
		}
		return $result;
	}

	public function maybe_set_date_paid() {
		if ( ! $this->get_date_paid( 'edit' ) ) {
			$payment_completed_status = apply_filters( 'woocommerce_payment_complete_order_status', $this->needs_processing() ? 'processing' : 'completed', $this->get_id(), $this );
			if ( $this->has_status( $payment_completed_status ) ) {
				$this->set_date_paid( time() );
			} elseif ( 'processing' === $payment_completed_status && $this->has_status( 'completed' ) ) {
				$this->set_date_paid( time() );
			}
		}
	}

	protected function maybe_set_date_completed() {
		if ( $this->has_status( 'completed' ) ) {
			$this->set_date_completed( time() );
		}
	}

	public function update_status( $new_status, $note = '', $manual = false ) {
		if ( ! $this->get_id() ) {
			return false;
		}
		$this->set_status( $new_status, $note, $manual );
		$this->save();
		return true;
	}

	protected function status_transition() {
		$status_transition       = $this->status_transition;
		$this->status_transition = false;
		if ( $status_transition ) {
			do_action( 'woocommerce_order_status_' . $status_transition['to'], $this->get_id(), $this );
			if ( ! empty( $status_transition['from'] ) ) {
				do_action( 'woocommerce_order_status_' . $status_transition['from'] . '_to_' . $status_transition['to'], $this->get_id(), $this );
				do_action( 'woocommerce_order_status_changed', $this->get_id(), $status_transition['from'], $status_transition['to'], $this );
				if ( in_array( $status_transition['from'], apply_filters( 'woocommerce_valid_order_statuses_for_payment', array( 'pending', 'failed' ), $this ), true )
					&& in_array( $status_transition['to'], wc_get_is_paid_statuses(), true ) ) {
					do_action( 'woocommerce_order_payment_status_changed', $this->get_id(), $this );
				}
			}
		}
	}

	public function payment_complete( $transaction_id = '' ) {
		if ( ! $this->get_id() ) {
			return false;
		}
		do_action( 'woocommerce_pre_payment_complete', $this->get_id(), $transaction_id );
		if ( WC()->session ) {
			WC()->session->set( 'order_awaiting_payment', false );
		}
		if ( $this->has_status( apply_filters( 'woocommerce_valid_order_statuses_for_payment_complete', array( 'on-hold', 'pending', 'failed', 'cancelled' ), $this ) ) ) {
			if ( ! empty( $transaction_id ) ) {
				$this->set_transaction_id( $transaction_id );
			}
			if ( ! $this->get_date_paid( 'edit' ) ) {
				$this->set_date_paid( time() );
			}
			$this->set_status( apply_filters( 'woocommerce_payment_complete_order_status', $this->needs_processing() ? 'processing' : 'completed', $this->get_id(), $this ) );
			$this->save();
			do_action( 'woocommerce_payment_complete', $this->get_id(), $transaction_id );
		} else {
			do_action( 'woocommerce_payment_complete_order_status_' . $this->get_status(), $this->get_id(), $transaction_id );
		}
		return true;
	}

	public function needs_processing() {
		return true;
	}

	public function is_paid() {
		return apply_filters( 'woocommerce_order_is_paid', $this->has_status( wc_get_is_paid_statuses() ), $this );
	}

	public function needs_payment() {
		$valid = apply_filters( 'woocommerce_valid_order_statuses_for_payment', array( 'pending', 'failed' ), $this );
		return apply_filters( 'woocommerce_order_needs_payment', ( $this->has_status( $valid ) && $this->get_total() > 0 ), $this, $valid );
	}

	public function get_customer_id( $context = 'view' ) {
		return (int) $this->get_prop( 'customer_id', $context );
	}

	public function get_user_id( $context = 'view' ) {
		return $this->get_customer_id( $context );
	}

	public function set_customer_id( $value ) {
		$this->set_prop( 'customer_id', absint( $value ) );
	}

	public function get_order_key( $context = 'view' ) {
		return (string) $this->get_prop( 'order_key', $context );
	}

	public function set_order_key( $value ) {
		$this->set_prop( 'order_key', $value );
	}

	public function get_order_number() {
		return (string) apply_filters( 'woocommerce_order_number', $this->get_id(), $this );
	}

	public function get_payment_method( $context = 'view' ) {
		return (string) $this->get_prop( 'payment_method', $context );
	}

	public function set_payment_method( $payment_method = '' ) {
		$this->set_prop( 'payment_method', is_object( $payment_method ) ? $payment_method->id : (string) $payment_method );
	}

	public function get_payment_method_title( $context = 'view' ) {
		return (string) $this->get_prop( 'payment_method_title', $context );
	}

	public function set_payment_method_title( $value ) {
		$this->set_prop( 'payment_method_title', (string) $value );
	}

	public function get_transaction_id( $context = 'view' ) {
		return (string) $this->get_prop( 'transaction_id', $context );
	}

	public function set_transaction_id( $value ) {
		$this->set_prop( 'transaction_id', (string) $value );
	}

	public function get_created_via( $context = 'view' ) {
		return (string) $this->get_prop( 'created_via', $context );
	}

	public function set_created_via( $value ) {
		$this->set_prop( 'created_via', (string) $value );
	}

	public function get_customer_ip_address( $context = 'view' ) {
		return (string) $this->get_prop( 'customer_ip_address', $context );
	}

	public function set_customer_ip_address( $value ) {
		$this->set_prop( 'customer_ip_address', (string) $value );
	}

	public function get_customer_user_agent( $context = 'view' ) {
		return (string) $this->get_prop( 'customer_user_agent', $context );
	}

	public function set_customer_user_agent( $value ) {
		$this->set_prop( 'customer_user_agent', (string) $value );
	}

	public function get_date_paid( $context = 'view' ) {
		return $this->get_prop( 'date_paid', $context );
	}

	public function set_date_paid( $date = null ) {
		$this->set_date_prop( 'date_paid', $date );
	}

	public function get_date_completed( $context = 'view' ) {
		return $this->get_prop( 'date_completed', $context );
	}

	public function set_date_completed( $date = null ) {
		$this->set_date_prop( 'date_completed', $date );
	}

	public function get_checkout_order_received_url() {
		$url = wc_get_endpoint_url( 'order-received', (string) $this->get_id(), wc_get_checkout_url() );
		return apply_filters( 'woocommerce_get_checkout_order_received_url', add_query_arg( 'key', $this->get_order_key(), $url ), $this );
	}

	public function get_checkout_payment_url( $on_checkout = false ) {
		$url = wc_get_endpoint_url( 'order-pay', (string) $this->get_id(), wc_get_checkout_url() );
		return add_query_arg(
			array(
				'pay_for_order' => 'true',
				'key'           => $this->get_order_key(),
			),
			$url
		);
	}

	public function get_refunds() {
		return wc_get_orders(
			array(
				'type'   => 'shop_order_refund',
				'parent' => $this->get_id(),
				'limit'  => -1,
			)
		);
	}

	public function get_total_refunded() {
		$total = 0.0;
		foreach ( $this->get_refunds() as $refund ) {
			$total += (float) $refund->get_amount();
		}
		return $total;
	}

	public function get_remaining_refund_amount() {
		return wc_format_decimal( (float) $this->get_total() - $this->get_total_refunded(), wc_get_price_decimals() );
	}

	public function get_remaining_refund_items() {
		$refunded = 0;
		foreach ( $this->get_refunds() as $refund ) {
			foreach ( $refund->get_items() as $item ) {
				$refunded += abs( (int) $item->get_quantity() );
			}
		}
		return $this->get_item_count() - $refunded;
	}

	public function has_free_item() {
		foreach ( $this->get_items() as $item ) {
			if ( ! (float) $item->get_total() ) {
				return true;
			}
		}
		return false;
	}
}

/**
 * Refund.
 */
class WC_Order_Refund extends WC_Abstract_Order {
	protected $data = array(
		'amount'           => '',
		'reason'           => '',
		'refunded_by'      => 0,
		'refunded_payment' => false,
	);

	public function get_type() {
		return 'shop_order_refund';
	}

	public function get_status( $context = 'view' ) {
		return 'completed';
	}

	public function get_amount( $context = 'view' ) {
		return $this->get_prop( 'amount', $context );
	}

	public function set_amount( $value ) {
		$this->set_prop( 'amount', wc_format_decimal( $value ) );
	}

	public function get_reason( $context = 'view' ) {
		return $this->get_prop( 'reason', $context );
	}

	public function set_reason( $value ) {
		$this->set_prop( 'reason', $value );
	}

	public function set_refunded_by( $value ) {
		$this->set_prop( 'refunded_by', absint( $value ) );
	}

	public function set_refunded_payment( $value ) {
		$this->set_prop( 'refunded_payment', (bool) $value );
	}
}

/**
 * Coupon (fixed cart amount), stored as a `shop_coupon` post.
 */
class WC_Coupon extends WC_Data {
	protected $data = array(
		'code'   => '',
		'amount' => 0,
	);

	public function __construct( $data = '' ) {
		if ( is_string( $data ) && '' !== $data ) {
			$post = get_page_by_path( sanitize_title( $data ), OBJECT, 'shop_coupon' );
			if ( $post instanceof WP_Post ) {
				$this->set_id( $post->ID );
				$this->data['code']   = $post->post_title;
				$this->data['amount'] = (string) get_post_meta( $post->ID, 'coupon_amount', true );
			}
		}
		$this->set_object_read( true );
	}

	public function get_code( $context = 'view' ) {
		return $this->get_prop( 'code', $context );
	}

	public function set_code( $code ) {
		$this->set_prop( 'code', wc_format_coupon_code( $code ) );
	}

	public function get_amount( $context = 'view' ) {
		return $this->get_prop( 'amount', $context );
	}

	public function set_amount( $amount ) {
		$this->set_prop( 'amount', wc_format_decimal( $amount ) );
	}

	public function set_discount_type( $type ) {
	}

	public function save() {
		$this->apply_changes();
		$this->set_id(
			wp_insert_post(
				array(
					'post_type'   => 'shop_coupon',
					'post_status' => 'publish',
					'post_title'  => $this->data['code'],
					'post_name'   => sanitize_title( $this->data['code'] ),
				)
			)
		);
		update_post_meta( $this->get_id(), 'coupon_amount', $this->data['amount'] );
		return $this->get_id();
	}
}
