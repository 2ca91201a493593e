<?php
/**
 * Lead-form capture settings per form plugin.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

use WP_Error;

/**
 * One option, `layersync_forms` (not autoloaded: read only when a form is submitted), holding
 * per form plugin:
 * - enabled (bool, default true): record a `lead` (`sign_up` for WooCommerce) on submission;
 * - auto (bool, default true): detect email, phone and name fields by type and name;
 * - fields: rules "field name, label or type:<type>" => identity key (em, ph, fn, ln, name,
 *   ct, st, zp, country, ge, db) or "ignore" — they win over detection;
 * - exclude: form ids never recorded (e.g. a search or a login form).
 *
 * @since 0.1.0
 *
 * @phpstan-import-type FieldConfig from FieldMapper
 */
final class FormsSettings {

	public const OPTION = 'layersync_forms';

	public const CONTACT_FORM_7 = 'cf7';
	public const WPFORMS        = 'wpforms';
	public const NINJA_FORMS    = 'ninja_forms';
	public const FORMIDABLE     = 'formidable';
	public const WOOCOMMERCE    = 'woocommerce';

	/**
	 * Form plugin slug => name shown to the admin.
	 */
	public const PLUGINS = array(
		self::CONTACT_FORM_7 => 'Contact Form 7',
		self::WPFORMS        => 'WPForms',
		self::NINJA_FORMS    => 'Ninja Forms',
		self::FORMIDABLE     => 'Formidable Forms',
		self::WOOCOMMERCE    => 'WooCommerce account creation',
	);

	private const MAX_RULES   = 100;
	private const KEY_PATTERN = '/^[^\x00-\x1f<>]{1,100}$/u';

	/**
	 * Settings of one form plugin, defaults filled in.
	 *
	 * @param string $plugin One of PLUGINS' keys.
	 * @return array{enabled: bool, auto: bool, fields: array<string, string>, exclude: list<string>}
	 */
	public function for_plugin( string $plugin ): array {
		$all = get_option( self::OPTION, array() );
		$one = is_array( $all ) && isset( $all[ $plugin ] ) && is_array( $all[ $plugin ] ) ? $all[ $plugin ] : array();
		return self::normalize( $one );
	}

	/**
	 * Every form plugin's settings.
	 *
	 * @return array<string, array{enabled: bool, auto: bool, fields: array<string, string>, exclude: list<string>}>
	 */
	public function all(): array {
		$out = array();
		foreach ( array_keys( self::PLUGINS ) as $plugin ) {
			$out[ $plugin ] = $this->for_plugin( $plugin );
		}
		return $out;
	}

	/**
	 * Validates and saves the settings of the plugins given; the others are kept.
	 *
	 * @param mixed $input Plugin slug => {enabled?, auto?, fields?, exclude?}.
	 * @return array<string, array{enabled: bool, auto: bool, fields: array<string, string>, exclude: list<string>}>|WP_Error
	 *         Every plugin's settings after saving, or what was wrong (nothing saved).
	 */
	public function save( $input ) {
		if ( ! is_array( $input ) ) {
			return new WP_Error( 'layersync_invalid_forms', __( 'Send the form settings as an object keyed by form plugin (cf7, wpforms, ninja_forms, formidable, woocommerce).', 'layersync' ) );
		}
		$all = $this->all();
		foreach ( $input as $plugin => $settings ) {
			$plugin = (string) $plugin;
			if ( ! isset( self::PLUGINS[ $plugin ] ) ) {
				return new WP_Error(
					'layersync_invalid_forms',
					/* translators: 1: the unknown key, 2: the known keys */
					sprintf( __( '"%1$s" is not a known form plugin; use one of: %2$s.', 'layersync' ), sanitize_key( $plugin ), implode( ', ', array_keys( self::PLUGINS ) ) )
				);
			}
			$checked = self::check( $plugin, $settings, $all[ $plugin ] );
			if ( is_wp_error( $checked ) ) {
				return $checked;
			}
			$all[ $plugin ] = $checked;
		}
		update_option( self::OPTION, $all, false );
		return $all;
	}

	/**
	 * Validates one plugin's settings over its current ones.
	 *
	 * @param string                                                                                 $plugin   Slug.
	 * @param mixed                                                                                  $settings Candidate.
	 * @param array{enabled: bool, auto: bool, fields: array<string, string>, exclude: list<string>} $current  Current settings.
	 * @return array{enabled: bool, auto: bool, fields: array<string, string>, exclude: list<string>}|WP_Error
	 */
	private static function check( string $plugin, $settings, array $current ) {
		if ( ! is_array( $settings ) ) {
			/* translators: %s: form plugin key */
			return new WP_Error( 'layersync_invalid_forms', sprintf( __( 'The settings of %s must be an object with enabled, auto, fields and exclude.', 'layersync' ), $plugin ) );
		}
		$out = $current;
		foreach ( array( 'enabled', 'auto' ) as $flag ) {
			if ( array_key_exists( $flag, $settings ) ) {
				if ( ! is_bool( $settings[ $flag ] ) ) {
					/* translators: 1: form plugin key, 2: setting name */
					return new WP_Error( 'layersync_invalid_forms', sprintf( __( '%1$s.%2$s must be true or false.', 'layersync' ), $plugin, $flag ) );
				}
				$out[ $flag ] = $settings[ $flag ];
			}
		}
		if ( array_key_exists( 'fields', $settings ) ) {
			$fields = $settings['fields'];
			if ( ! is_array( $fields ) || count( $fields ) > self::MAX_RULES ) {
				/* translators: 1: form plugin key, 2: maximum number of rules */
				return new WP_Error( 'layersync_invalid_forms', sprintf( __( '%1$s.fields must be an object of at most %2$d rules: field name, label or type:<type> => identity key.', 'layersync' ), $plugin, self::MAX_RULES ) );
			}
			$out['fields'] = array();
			foreach ( $fields as $key => $target ) {
				$key = trim( (string) $key );
				if ( 1 !== preg_match( self::KEY_PATTERN, $key ) ) {
					/* translators: %s: form plugin key */
					return new WP_Error( 'layersync_invalid_forms', sprintf( __( '%s.fields: each field name must be 1-100 characters without control characters or angle brackets.', 'layersync' ), $plugin ) );
				}
				if ( ! is_string( $target ) || ! in_array( $target, FieldMapper::TARGETS, true ) ) {
					return new WP_Error(
						'layersync_invalid_forms',
						/* translators: 1: form plugin key, 2: field name, 3: allowed targets */
						sprintf( __( '%1$s.fields["%2$s"] must be one of: %3$s.', 'layersync' ), $plugin, esc_html( $key ), implode( ', ', FieldMapper::TARGETS ) )
					);
				}
				$out['fields'][ $key ] = $target;
			}
		}//end if
		if ( array_key_exists( 'exclude', $settings ) ) {
			if ( ! is_array( $settings['exclude'] ) ) {
				/* translators: %s: form plugin key */
				return new WP_Error( 'layersync_invalid_forms', sprintf( __( '%s.exclude must be a list of form ids.', 'layersync' ), $plugin ) );
			}
			$out['exclude'] = self::form_ids( $settings['exclude'] );
		}
		return $out;
	}

	/**
	 * Defaults filled in, wrong types dropped.
	 *
	 * @param array<mixed> $one Stored settings of one plugin.
	 * @return array{enabled: bool, auto: bool, fields: array<string, string>, exclude: list<string>}
	 */
	private static function normalize( array $one ): array {
		$fields = array();
		foreach ( isset( $one['fields'] ) && is_array( $one['fields'] ) ? $one['fields'] : array() as $key => $target ) {
			if ( is_string( $target ) && in_array( $target, FieldMapper::TARGETS, true ) ) {
				$fields[ (string) $key ] = $target;
			}
		}
		return array(
			'enabled' => ! isset( $one['enabled'] ) || (bool) $one['enabled'],
			'auto'    => ! isset( $one['auto'] ) || (bool) $one['auto'],
			'fields'  => $fields,
			'exclude' => self::form_ids( isset( $one['exclude'] ) && is_array( $one['exclude'] ) ? $one['exclude'] : array() ),
		);
	}

	/**
	 * Form ids as strings, unique, at most 200.
	 *
	 * @param array<mixed> $ids Candidates.
	 * @return list<string>
	 */
	private static function form_ids( array $ids ): array {
		$out = array();
		foreach ( $ids as $id ) {
			if ( is_scalar( $id ) && 1 === preg_match( '/^[A-Za-z0-9_-]{1,64}$/', (string) $id ) ) {
				$out[] = (string) $id;
			}
		}
		return array_slice( array_values( array_unique( $out ) ), 0, 200 );
	}
}
