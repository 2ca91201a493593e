<?php
/**
 * Stand-in for WooCommerce's WC_Data (CRUD base), WC_Meta_Data and WC_DateTime, with the
 * semantics LayerSync relies on: meta is read when an object is loaded, update_meta_data()
 * changes or adds in memory, save() writes only what changed (a new key is added as a new row,
 * exactly as WooCommerce does — two stale objects adding the same key make two rows).
 *
 * @package LayerSync\Tests
 */

// phpcs:disable Generic.Files.OneObjectStructurePerFile.MultipleFound, WordPress.NamingConventions.ValidVariableName, Squiz.Commenting.FunctionComment.Missing, Squiz.Commenting.VariableComment.Missing, Generic.Commenting.DocComment.MissingShort, Squiz.Commenting.ClassComment.Missing

/**
 * WooCommerce's date object.
 */
class WC_DateTime extends DateTime {
}

/**
 * One meta entry.
 */
class WC_Meta_Data {
	/** @var int|null */
	public $id;
	/** @var string */
	public $key;
	/** @var mixed */
	public $value;
	/** @var bool */
	public $changed = false;

	public function __construct( array $meta = array() ) {
		$this->id    = isset( $meta['id'] ) ? (int) $meta['id'] : null;
		$this->key   = (string) ( $meta['key'] ?? '' );
		$this->value = $meta['value'] ?? null;
	}

	public function get_data() {
		return array(
			'id'    => $this->id,
			'key'   => $this->key,
			'value' => $this->value,
		);
	}
}

/**
 * CRUD base.
 */
abstract class WC_Data {
	/** @var int */
	protected $id = 0;
	/** @var array<string, mixed> */
	protected $data = array();
	/** @var array<string, mixed> */
	protected $changes = array();
	/** @var bool */
	protected $object_read = false;
	/** @var WC_Meta_Data[] */
	protected $meta_data = array();
	/** @var int[] */
	protected $deleted_meta = array();
	/** @var string */
	protected $object_type = 'data';

	public function get_id() {
		return (int) $this->id;
	}

	public function set_id( $id ) {
		$this->id = absint( $id );
	}

	public function set_object_read( $read = true ) {
		$this->object_read = (bool) $read;
	}

	public function get_object_read() {
		return $this->object_read;
	}

	public function get_data() {
		return array_merge( array( 'id' => $this->get_id() ), $this->data, $this->changes, array( 'meta_data' => $this->get_meta_data() ) );
	}

	public function get_changes() {
		return $this->changes;
	}

	public function apply_changes() {
		$this->data    = array_replace_recursive( $this->data, $this->changes );
		$this->changes = array();
	}

	protected function set_prop( $prop, $value ) {
		if ( array_key_exists( $prop, $this->data ) || ! $this->object_read ) {
			if ( true === $this->object_read ) {
				if ( $value !== $this->data[ $prop ] || array_key_exists( $prop, $this->changes ) ) {
					$this->changes[ $prop ] = $value;
				}
			} else {
				$this->data[ $prop ] = $value;
			}
		}
	}

	protected function get_prop( $prop, $context = 'view' ) {
		$value = null;
		if ( array_key_exists( $prop, $this->data ) ) {
			$value = array_key_exists( $prop, $this->changes ) ? $this->changes[ $prop ] : $this->data[ $prop ];
			if ( 'view' === $context ) {
				$value = apply_filters( 'woocommerce_' . $this->object_type . '_get_' . $prop, $value, $this );
			}
		}
		return $value;
	}

	protected function set_date_prop( $prop, $value ) {
		if ( empty( $value ) ) {
			$this->set_prop( $prop, null );
			return;
		}
		if ( $value instanceof WC_DateTime ) {
			$datetime = $value;
		} elseif ( is_numeric( $value ) ) {
			$datetime = new WC_DateTime( '@' . (int) $value, new DateTimeZone( 'UTC' ) );
		} else {
			$datetime = new WC_DateTime( (string) $value, new DateTimeZone( 'UTC' ) );
		}
		$this->set_prop( $prop, $datetime );
	}

	/* ---------- meta ---------- */

	public function get_meta_data() {
		return array_values( $this->meta_data );
	}

	public function get_meta( $key = '', $single = true, $context = 'view' ) {
		$matches = array();
		foreach ( $this->meta_data as $meta ) {
			if ( $meta->key === $key ) {
				$matches[] = $meta;
			}
		}
		if ( $single ) {
			return array() === $matches ? '' : $matches[0]->value;
		}
		return $matches;
	}

	public function meta_exists( $key = '' ) {
		foreach ( $this->meta_data as $meta ) {
			if ( $meta->key === $key ) {
				return true;
			}
		}
		return false;
	}

	public function add_meta_data( $key, $value, $unique = false ) {
		if ( $unique ) {
			$this->delete_meta_data( $key );
		}
		$this->meta_data[] = new WC_Meta_Data(
			array(
				'key'   => $key,
				'value' => $value,
			)
		);
	}

	public function update_meta_data( $key, $value, $meta_id = 0 ) {
		foreach ( $this->meta_data as $meta ) {
			if ( $meta->key === $key && ( 0 === (int) $meta_id || (int) $meta->id === (int) $meta_id ) ) {
				if ( $meta->value !== $value ) {
					$meta->value   = $value;
					$meta->changed = true;
				}
				return;
			}
		}
		$this->add_meta_data( $key, $value, false );
	}

	public function delete_meta_data( $key ) {
		foreach ( $this->meta_data as $index => $meta ) {
			if ( $meta->key === $key ) {
				if ( null !== $meta->id ) {
					$this->deleted_meta[] = (int) $meta->id;
				}
				unset( $this->meta_data[ $index ] );
			}
		}
		$this->meta_data = array_values( $this->meta_data );
	}

	/**
	 * Loads meta from the store (every object load reads fresh rows).
	 *
	 * @param array<int, array{id: int, key: string, value: mixed}> $rows Rows.
	 */
	protected function set_meta_rows( array $rows ) {
		$this->meta_data    = array();
		$this->deleted_meta = array();
		foreach ( $rows as $row ) {
			$this->meta_data[] = new WC_Meta_Data( $row );
		}
	}

	/**
	 * Writes meta changes through the given store callbacks.
	 *
	 * @param callable $add    fn( key, value ): int id.
	 * @param callable $update fn( id, key, value ): void.
	 * @param callable $delete fn( id ): void.
	 */
	protected function write_meta( callable $add, callable $update, callable $delete ) {
		foreach ( $this->deleted_meta as $meta_id ) {
			$delete( $meta_id );
		}
		$this->deleted_meta = array();
		foreach ( $this->meta_data as $meta ) {
			if ( null === $meta->id ) {
				$meta->id = (int) $add( $meta->key, $meta->value );
			} elseif ( $meta->changed ) {
				$update( $meta->id, $meta->key, $meta->value );
			}
			$meta->changed = false;
		}
	}

	abstract public function save();
}
