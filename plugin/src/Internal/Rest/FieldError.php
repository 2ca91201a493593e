<?php
/**
 * The 400 answer for one bad request field.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Rest;

use WP_Error;

/**
 * A `layersync_invalid_<field>` error with status 400 and the field named in its data, so the
 * admin app can put the message next to that field.
 *
 * @since 0.1.0
 */
final class FieldError {

	/**
	 * A 400 error naming the field.
	 *
	 * @param string $field   Request field.
	 * @param string $message Message.
	 * @return WP_Error
	 */
	public static function invalid( string $field, string $message ): WP_Error {
		return new WP_Error(
			'layersync_invalid_' . $field,
			$message,
			array(
				'status' => 400,
				'field'  => $field,
			)
		);
	}
}
