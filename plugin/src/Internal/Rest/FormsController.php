<?php
/**
 * Admin REST route for lead-form settings.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Rest;

use LayerSync\Internal\Forms\FieldMapper;
use LayerSync\Internal\Forms\FormsSettings;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

/**
 * `GET|POST /layersync/v1/admin/forms`: which form plugins record leads and which of their
 * fields identify the person (see FormsSettings). manage_options only; from a browser the REST
 * nonce is required (cookie authentication).
 *
 * @since 0.1.0
 */
final class FormsController {

	public const NAMESPACE = 'layersync/v1';
	public const ROUTE     = '/admin/forms';

	/**
	 * Settings.
	 *
	 * @var FormsSettings
	 */
	private FormsSettings $forms;

	/**
	 * Constructor.
	 *
	 * @param FormsSettings $forms Settings.
	 */
	public function __construct( FormsSettings $forms ) {
		$this->forms = $forms;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		$plugin_schema = array(
			'type'                 => 'object',
			'additionalProperties' => false,
			'properties'           => array(
				'enabled' => array( 'type' => 'boolean' ),
				'auto'    => array( 'type' => 'boolean' ),
				'fields'  => array(
					'type'                 => 'object',
					'additionalProperties' => array(
						'type' => 'string',
						'enum' => FieldMapper::TARGETS,
					),
				),
				'exclude' => array(
					'type'  => 'array',
					'items' => array( 'type' => array( 'string', 'integer' ) ),
				),
			),
		);
		$args          = array();
		foreach ( FormsSettings::PLUGINS as $slug => $name ) {
			$args[ $slug ]                = $plugin_schema;
			$args[ $slug ]['description'] = sprintf(
				/* translators: %s: form plugin name */
				__( 'Lead capture for %s: enabled, auto (detect email/phone/name fields), fields (field name, label or type:<type> => identity key or "ignore"), exclude (form ids).', 'layersync' ),
				$name
			);
		}
		register_rest_route(
			self::NAMESPACE,
			self::ROUTE,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_settings' ),
					'permission_callback' => array( $this, 'can_manage' ),
					'args'                => array(),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'update_settings' ),
					'permission_callback' => array( $this, 'can_manage' ),
					'args'                => $args,
				),
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
	 * `GET /admin/forms`.
	 *
	 * @return WP_REST_Response
	 */
	public function get_settings(): WP_REST_Response {
		return new WP_REST_Response( $this->data( $this->forms->all() ) );
	}

	/**
	 * `POST /admin/forms`: saves the plugins given, keeps the others.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_settings( WP_REST_Request $request ) {
		$input = array();
		foreach ( array_keys( FormsSettings::PLUGINS ) as $slug ) {
			$value = $request->get_param( $slug );
			if ( null !== $value ) {
				$input[ $slug ] = $value;
			}
		}
		$saved = $this->forms->save( $input );
		if ( is_wp_error( $saved ) ) {
			$saved->add_data( array( 'status' => 400 ) );
			return $saved;
		}
		return new WP_REST_Response( $this->data( $saved ) );
	}

	/**
	 * Settings plus what the admin app needs to render them: per plugin whether it is active;
	 * the targets a field rule may name; and, for WooCommerce, the fixed fields it takes
	 * identifiers from (its account and checkout forms are known, so rules do not apply):
	 * `sign_up` (account creation, recorded when enabled) and `checkout` (every order's events).
	 *
	 * @param array<string, mixed> $settings Per-plugin settings.
	 * @return array<string, mixed>
	 */
	private function data( array $settings ): array {
		$active  = array(
			FormsSettings::CONTACT_FORM_7 => defined( 'WPCF7_VERSION' ),
			FormsSettings::WPFORMS        => function_exists( 'wpforms' ),
			FormsSettings::NINJA_FORMS    => class_exists( 'Ninja_Forms' ),
			FormsSettings::FORMIDABLE     => class_exists( 'FrmEntry' ),
			FormsSettings::WOOCOMMERCE    => class_exists( 'WooCommerce' ),
		);
		$plugins = array();
		foreach ( FormsSettings::PLUGINS as $slug => $name ) {
			$plugins[ $slug ] = array_merge(
				array(
					'name'   => $name,
					'active' => $active[ $slug ],
				),
				(array) $settings[ $slug ]
			);
		}
		return array(
			'plugins'      => $plugins,
			'targets'      => FieldMapper::TARGETS,
			'fixed_fields' => array(
				FormsSettings::WOOCOMMERCE => array(
					'sign_up'  => array( 'em', 'fn', 'ln' ),
					'checkout' => array( 'em', 'ph', 'fn', 'ln', 'ct', 'st', 'zp', 'country' ),
				),
			),
		);
	}
}
