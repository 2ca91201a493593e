<?php
/**
 * The LayerSync admin screen.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Admin;

use LayerSync\Internal\Rest\SettingsController;

/**
 * Adds the "LayerSync" menu page, a mount point for the React admin app built into
 * build/admin/ with @wordpress/scripts, and enqueues that app with the dependencies and
 * version its generated index.asset.php lists.
 *
 * @since 0.1.0
 */
final class AdminPage {

	public const SLUG          = 'layersync';
	public const SCRIPT_HANDLE = 'layersync-admin';

	/**
	 * JSX runtime handle the build depends on; WordPress registers it only from 6.6.
	 */
	private const JSX_RUNTIME = 'react-jsx-runtime';

	/**
	 * Maps the automatic JSX runtime (window.ReactJSXRuntime) onto React.createElement for
	 * WordPress < 6.6. `jsx` passes dynamic children as one child (keys stay meaningful),
	 * `jsxs` spreads static children, as React's own runtime does.
	 */
	private const JSX_RUNTIME_SHIM = '(function(R){if(!R||window.ReactJSXRuntime){return;}'
		. 'function make(spread){return function(type,config,key){var props={},children,name;'
		. 'for(name in config){if(Object.prototype.hasOwnProperty.call(config,name)){if(name==="children"){children=config[name];}else{props[name]=config[name];}}}'
		. 'if(key!==undefined){props.key=key;}'
		. 'if(children===undefined){return R.createElement(type,props);}'
		. 'return spread&&Array.isArray(children)?R.createElement.apply(R,[type,props].concat(children)):R.createElement(type,props,children);};}'
		. 'window.ReactJSXRuntime={jsx:make(false),jsxs:make(true),Fragment:R.Fragment};})(window.React);';

	/**
	 * Hook suffix WordPress gave the page (set when the menu is added).
	 *
	 * @var string
	 */
	private string $hook_suffix = '';

	/**
	 * Absolute path of the plugin directory, with trailing slash.
	 *
	 * @var string
	 */
	private string $plugin_dir;

	/**
	 * Constructor.
	 *
	 * @param string $plugin_dir Plugin directory with trailing slash.
	 */
	public function __construct( string $plugin_dir ) {
		$this->plugin_dir = $plugin_dir;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_menu_page' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue_assets' ) );
	}

	/**
	 * Adds the top-level menu page.
	 */
	public function add_menu_page(): void {
		$suffix            = add_menu_page(
			__( 'LayerSync', 'layersync' ),
			__( 'LayerSync', 'layersync' ),
			'manage_options',
			self::SLUG,
			array( $this, 'render' ),
			'dashicons-randomize',
			58
		);
		$this->hook_suffix = is_string( $suffix ) ? $suffix : '';
	}

	/**
	 * Prints the page: the app's mount point, or a notice when the app is not built.
	 */
	public function render(): void {
		echo '<div class="wrap">';
		echo '<h1 class="screen-reader-text">' . esc_html__( 'LayerSync', 'layersync' ) . '</h1>';
		if ( ! is_file( $this->script_path() ) ) {
			printf(
				'<div class="notice notice-error"><p>%s</p></div>',
				esc_html__( 'The LayerSync admin app is missing (build/admin/index.js). Install the plugin from its release zip, or build it from source with "npm run build".', 'layersync' )
			);
		} else {
			echo '<div id="layersync-admin-root"></div>';
			printf( '<noscript><p>%s</p></noscript>', esc_html__( 'The LayerSync settings need JavaScript.', 'layersync' ) );
		}
		echo '</div>';
	}

	/**
	 * Enqueues the admin app on the LayerSync page only.
	 *
	 * @param string $hook_suffix Current admin page.
	 */
	public function enqueue_assets( $hook_suffix ): void {
		if ( '' === $this->hook_suffix || $hook_suffix !== $this->hook_suffix || ! is_file( $this->script_path() ) ) {
			return;
		}
		$asset = $this->asset();
		if ( in_array( self::JSX_RUNTIME, $asset['dependencies'], true ) && ! wp_script_is( self::JSX_RUNTIME, 'registered' ) ) {
			wp_register_script( self::JSX_RUNTIME, false, array( 'react' ), LAYERSYNC_VERSION, true );
			wp_add_inline_script( self::JSX_RUNTIME, self::JSX_RUNTIME_SHIM );
		}

		wp_enqueue_script(
			self::SCRIPT_HANDLE,
			plugins_url( 'build/admin/index.js', $this->plugin_dir . 'layersync.php' ),
			$asset['dependencies'],
			$asset['version'],
			array( 'in_footer' => true )
		);
		$config = array(
			'restNamespace' => SettingsController::NAMESPACE,
			'restRoot'      => esc_url_raw( rest_url() ),
			'nonce'         => wp_create_nonce( 'wp_rest' ),
			'version'       => LAYERSYNC_VERSION,
		);
		wp_add_inline_script( self::SCRIPT_HANDLE, 'window.LayerSyncAdminConfig = ' . wp_json_encode( $config ) . ';', 'before' );
		wp_set_script_translations( self::SCRIPT_HANDLE, 'layersync', $this->plugin_dir . 'languages' );

		if ( is_file( $this->plugin_dir . 'build/admin/index.css' ) ) {
			wp_enqueue_style(
				self::SCRIPT_HANDLE,
				plugins_url( 'build/admin/index.css', $this->plugin_dir . 'layersync.php' ),
				array( 'wp-components' ),
				$asset['version']
			);
		}
	}

	/**
	 * Dependencies and version from the generated index.asset.php (defaults when absent).
	 *
	 * @return array{dependencies: non-empty-string[], version: string}
	 */
	private function asset(): array {
		$file    = $this->plugin_dir . 'build/admin/index.asset.php';
		$asset   = is_file( $file ) ? require $file : array();
		$deps    = is_array( $asset ) && isset( $asset['dependencies'] ) && is_array( $asset['dependencies'] )
			? array_values( array_filter( $asset['dependencies'], static fn( $dep ): bool => is_string( $dep ) && '' !== $dep ) )
			: array( 'wp-api-fetch', 'wp-components', 'wp-element', 'wp-i18n' );
		$version = is_array( $asset ) && isset( $asset['version'] ) && is_string( $asset['version'] )
			? $asset['version']
			: LAYERSYNC_VERSION . '-' . (string) filemtime( $this->script_path() );
		return array(
			'dependencies' => $deps,
			'version'      => $version,
		);
	}

	/**
	 * Path of the built admin script.
	 *
	 * @return string
	 */
	private function script_path(): string {
		return $this->plugin_dir . 'build/admin/index.js';
	}
}
