<?php
/**
 * Stand-in for WooCommerce products (simple, variable, variation), stored as `product` /
 * `product_variation` posts with `_sku`, `_price`, `_regular_price` meta like WooCommerce's own
 * post data store. Categories and brands are the `product_cat` / `product_brand` terms.
 *
 * @package LayerSync\Tests
 */

// phpcs:disable Generic.Files.OneObjectStructurePerFile.MultipleFound, Squiz.Commenting.FunctionComment.Missing, Squiz.Commenting.VariableComment.Missing, Generic.Commenting.DocComment.MissingShort, Squiz.Commenting.ClassComment.Missing

/**
 * Product base.
 */
class WC_Product extends WC_Data {
	protected $object_type = 'product';
	protected $data        = array(
		'name'          => '',
		'slug'          => '',
		'status'        => 'publish',
		'sku'           => '',
		'price'         => '',
		'regular_price' => '',
		'parent_id'     => 0,
		'category_ids'  => array(),
		'attributes'    => array(),
	);

	public function __construct( $product = 0 ) {
		if ( is_numeric( $product ) && $product > 0 ) {
			$this->set_id( $product );
		} elseif ( $product instanceof self ) {
			$this->set_id( $product->get_id() );
		}
		if ( $this->get_id() > 0 ) {
			$this->read();
		}
		$this->set_object_read( true );
	}

	public function get_type() {
		return 'simple';
	}

	public function is_type( $type ) {
		return $this->get_type() === $type || ( is_array( $type ) && in_array( $this->get_type(), $type, true ) );
	}

	public function get_name( $context = 'view' ) {
		return $this->get_prop( 'name', $context );
	}

	public function set_name( $name ) {
		$this->set_prop( 'name', $name );
	}

	public function get_status( $context = 'view' ) {
		return $this->get_prop( 'status', $context );
	}

	public function set_status( $status ) {
		$this->set_prop( 'status', $status );
	}

	public function get_sku( $context = 'view' ) {
		return $this->get_prop( 'sku', $context );
	}

	public function set_sku( $sku ) {
		$this->set_prop( 'sku', $sku );
	}

	public function get_price( $context = 'view' ) {
		return $this->get_prop( 'price', $context );
	}

	public function set_price( $price ) {
		$this->set_prop( 'price', wc_format_decimal( $price ) );
	}

	public function get_regular_price( $context = 'view' ) {
		return $this->get_prop( 'regular_price', $context );
	}

	public function set_regular_price( $price ) {
		$this->set_prop( 'regular_price', wc_format_decimal( $price ) );
		// WooCommerce syncs _price from the regular (or sale) price on save.
		$this->set_prop( 'price', wc_format_decimal( $price ) );
	}

	public function get_parent_id( $context = 'view' ) {
		return (int) $this->get_prop( 'parent_id', $context );
	}

	public function set_parent_id( $parent_id ) {
		$this->set_prop( 'parent_id', absint( $parent_id ) );
	}

	public function get_category_ids( $context = 'view' ) {
		return $this->get_prop( 'category_ids', $context );
	}

	public function set_category_ids( $ids ) {
		$this->set_prop( 'category_ids', array_map( 'absint', (array) $ids ) );
	}

	public function get_attributes( $context = 'view' ) {
		return $this->get_prop( 'attributes', $context );
	}

	public function set_attributes( $attributes ) {
		$this->set_prop( 'attributes', (array) $attributes );
	}

	public function is_purchasable() {
		return 'publish' === $this->get_status() && '' !== (string) $this->get_price();
	}

	public function is_in_stock() {
		return true;
	}

	public function is_sold_individually() {
		return false;
	}

	public function get_permalink() {
		return (string) get_permalink( $this->get_id() );
	}

	public function save() {
		$this->apply_changes();
		$post = array(
			'post_type'   => 'variation' === $this->get_type() ? 'product_variation' : 'product',
			'post_status' => $this->data['status'],
			'post_title'  => $this->data['name'],
			'post_parent' => $this->data['parent_id'],
		);
		if ( $this->get_id() > 0 ) {
			$post['ID'] = $this->get_id();
			wp_update_post( $post );
		} else {
			$this->set_id( wp_insert_post( $post ) );
		}
		update_post_meta( $this->get_id(), '_sku', $this->data['sku'] );
		update_post_meta( $this->get_id(), '_price', $this->data['price'] );
		update_post_meta( $this->get_id(), '_regular_price', $this->data['regular_price'] );
		update_post_meta( $this->get_id(), '_stand_in_type', $this->get_type() );
		update_post_meta( $this->get_id(), '_stand_in_attributes', $this->data['attributes'] );
		if ( 'variation' !== $this->get_type() ) {
			wp_set_object_terms( $this->get_id(), $this->data['category_ids'], 'product_cat' );
		}
		return $this->get_id();
	}

	public function delete( $force_delete = false ) {
		wp_delete_post( $this->get_id(), true );
		return true;
	}

	protected function read() {
		$post = get_post( $this->get_id() );
		if ( ! $post instanceof WP_Post ) {
			throw new Exception( 'Invalid product.' );
		}
		$terms      = wp_get_object_terms( $this->get_id(), 'product_cat', array( 'fields' => 'ids' ) );
		$this->data = array_merge(
			$this->data,
			array(
				'name'          => $post->post_title,
				'status'        => $post->post_status,
				'sku'           => (string) get_post_meta( $this->get_id(), '_sku', true ),
				'price'         => (string) get_post_meta( $this->get_id(), '_price', true ),
				'regular_price' => (string) get_post_meta( $this->get_id(), '_regular_price', true ),
				'parent_id'     => (int) $post->post_parent,
				'category_ids'  => is_array( $terms ) ? array_map( 'intval', $terms ) : array(),
				'attributes'    => (array) get_post_meta( $this->get_id(), '_stand_in_attributes', true ),
			)
		);
	}
}

/**
 * Simple product.
 */
class WC_Product_Simple extends WC_Product {
}

/**
 * Variable product (the parent of variations).
 */
class WC_Product_Variable extends WC_Product {
	public function get_type() {
		return 'variable';
	}
}

/**
 * Variation: inherits its parent's name, SKU and categories for display, like WooCommerce's.
 */
class WC_Product_Variation extends WC_Product_Simple {
	public function get_type() {
		return 'variation';
	}

	public function get_sku( $context = 'view' ) {
		$sku = $this->get_prop( 'sku', $context );
		if ( 'view' === $context && '' === (string) $sku && $this->get_parent_id() > 0 ) {
			$parent = wc_get_product( $this->get_parent_id() );
			return $parent ? $parent->get_sku() : '';
		}
		return $sku;
	}

	public function get_name( $context = 'view' ) {
		$name = $this->get_prop( 'name', $context );
		if ( 'view' === $context && $this->get_parent_id() > 0 ) {
			$parent = wc_get_product( $this->get_parent_id() );
			$values = array_values( array_filter( array_map( 'strval', $this->get_attributes() ) ) );
			$name   = ( $parent ? $parent->get_name() : $name ) . ( array() !== $values ? ' - ' . implode( ', ', $values ) : '' );
		}
		return $name;
	}

	public function get_variation_attributes( $with_prefix = true ) {
		$out = array();
		foreach ( $this->get_attributes() as $key => $value ) {
			$out[ ( $with_prefix ? 'attribute_' : '' ) . $key ] = $value;
		}
		return $out;
	}
}
