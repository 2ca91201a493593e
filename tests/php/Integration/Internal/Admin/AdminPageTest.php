<?php
/**
 * The LayerSync admin screen.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Admin;

use LayerSync\Internal\Admin\AdminPage;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\Node;

final class AdminPageTest extends IntegrationTestCase {

	/**
	 * A throwaway plugin directory with a fake build (plugin/build/ belongs to the asset build).
	 *
	 * @var string
	 */
	private string $dir = '';

	private ?\WP_Scripts $saved_scripts = null;

	private int $user_id = 0;

	protected function setUp(): void {
		parent::setUp();
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		$this->dir = sys_get_temp_dir() . '/layersync-admin-' . wp_generate_password( 8, false ) . '/';
		mkdir( $this->dir . 'build/admin', 0777, true );
		$this->saved_scripts   = $GLOBALS['wp_scripts'] ?? null;
		$GLOBALS['wp_scripts'] = new \WP_Scripts(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a fresh registry per test, restored below.
	}

	protected function tearDown(): void {
		$GLOBALS['wp_scripts'] = $this->saved_scripts; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		foreach ( array( 'build/admin/index.js', 'build/admin/index.asset.php' ) as $file ) {
			if ( is_file( $this->dir . $file ) ) {
				unlink( $this->dir . $file );
			}
		}
		rmdir( $this->dir . 'build/admin' );
		rmdir( $this->dir . 'build' );
		rmdir( $this->dir );
		if ( $this->user_id > 0 ) {
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_delete_user( $this->user_id );
		}
		parent::tearDown();
	}

	public function test_page_shows_a_notice_when_the_app_is_not_built(): void {
		$page = new AdminPage( $this->dir );
		$html = $this->render( $page );
		$this->assertStringContainsString( 'notice-error', $html );
		$this->assertStringContainsString( 'The LayerSync admin app is missing', $html );
		$this->assertStringNotContainsString( 'layersync-admin-root', $html );

		$this->menu( $page );
		$page->enqueue_assets( 'toplevel_page_layersync' );
		$this->assertFalse( wp_script_is( AdminPage::SCRIPT_HANDLE, 'registered' ) );
	}

	public function test_built_app_is_enqueued_from_its_asset_file_with_config_and_a_jsx_runtime_shim(): void {
		file_put_contents( $this->dir . 'build/admin/index.js', '/* app */' );
		file_put_contents(
			$this->dir . 'build/admin/index.asset.php',
			"<?php return array( 'dependencies' => array( 'react', 'react-jsx-runtime', 'wp-api-fetch', 'wp-components', 'wp-element', 'wp-i18n' ), 'version' => 'abc123' );"
		);
		$page = new AdminPage( $this->dir );
		wp_set_current_user( $this->admin() );
		$this->menu( $page );

		$this->assertStringContainsString( '<div id="layersync-admin-root"></div>', $this->render( $page ) );

		$page->enqueue_assets( 'dashboard' );
		$this->assertFalse( wp_script_is( AdminPage::SCRIPT_HANDLE, 'registered' ), 'only on the LayerSync page' );

		$page->enqueue_assets( 'toplevel_page_layersync' );
		$scripts = wp_scripts();
		$this->assertTrue( wp_script_is( AdminPage::SCRIPT_HANDLE, 'enqueued' ) );
		$script = $scripts->registered[ AdminPage::SCRIPT_HANDLE ];
		$this->assertSame( array( 'react', 'react-jsx-runtime', 'wp-api-fetch', 'wp-components', 'wp-element', 'wp-i18n' ), $script->deps );
		$this->assertSame( 'abc123', $script->ver );
		$this->assertSame( 'layersync', $script->textdomain );
		$this->assertSame( $this->dir . 'languages', $script->translations_path, 'JSON translations ship in the plugin\'s languages/' );

		$before = implode( "\n", array_filter( (array) $scripts->get_data( AdminPage::SCRIPT_HANDLE, 'before' ) ) );
		$this->assertSame( 1, preg_match( '/^window\.LayerSyncAdminConfig = (\{.*\});$/', $before, $m ), $before );
		$config = json_decode( $m[1] ?? '', true );
		$this->assertSame( 'layersync/v1', $config['restNamespace'] );
		$this->assertSame( 1, wp_verify_nonce( $config['nonce'], 'wp_rest' ) );

		// WordPress 6.5 has no react-jsx-runtime handle: the shim stands in for it.
		global $wp_version;
		if ( version_compare( $wp_version, '6.6', '<' ) ) {
			$shim = implode( "\n", array_filter( (array) $scripts->get_data( 'react-jsx-runtime', 'after' ) ) );
			$this->assertStringContainsString( 'window.ReactJSXRuntime=', $shim );
			$this->assertSame( array( 'react' ), $scripts->registered['react-jsx-runtime']->deps );
			$this->check_shim( $shim );
		}
	}

	public function test_admin_app_translations_are_found_by_the_name_the_pot_file_gives_the_bundle(): void {
		// plugin/languages/layersync.pot references the app's strings as build/admin/index.js, so
		// `wp i18n make-json` names each locale's file layersync-<locale>-<md5 of that path>.json.
		$pot = (string) file_get_contents( dirname( __DIR__, 5 ) . '/plugin/languages/layersync.pot' );
		$this->assertStringContainsString( '#: build/admin/index.js ../assets-src/admin/src/tracking/TrackedEvents.tsx:', $pot );
		$this->assertStringContainsString( 'msgid "Save tracked events"', $pot );

		$languages = $this->dir . 'languages';
		mkdir( $languages );
		$json = $languages . '/layersync-fr_FR-' . md5( 'build/admin/index.js' ) . '.json';
		file_put_contents(
			$json,
			(string) wp_json_encode(
				array(
					'locale_data' => array(
						'messages' => array(
							''                    => array( 'domain' => 'messages' ),
							'Save tracked events' => array( 'Enregistrer les événements suivis' ),
						),
					),
				)
			)
		);
		$this->add_test_filter( 'determine_locale', static fn() => 'fr_FR' );
		try {
			$src = plugins_url( 'build/admin/index.js', LAYERSYNC_FILE );
			if ( '' === $src ) {
				$this->fail( 'no URL for the admin bundle' );
			}
			wp_register_script( AdminPage::SCRIPT_HANDLE, $src, array( 'wp-i18n' ), '1', true );
			$this->assertTrue( wp_set_script_translations( AdminPage::SCRIPT_HANDLE, 'layersync', $languages ) );
			$loaded = json_decode( (string) load_script_textdomain( AdminPage::SCRIPT_HANDLE, 'layersync', $languages ), true );
			$this->assertSame( array( 'Enregistrer les événements suivis' ), $loaded['locale_data']['messages']['Save tracked events'] ?? null );
		} finally {
			unlink( $json );
			rmdir( $languages );
		}
	}

	public function test_admin_screen_served_by_wordpress_loads_the_real_build(): void {
		$plugin_dir = dirname( __DIR__, 5 ) . '/plugin/';
		$password   = (string) getenv( 'LAYERSYNC_WP_ADMIN_PASSWORD' );
		if ( ! is_file( $plugin_dir . 'build/admin/index.js' ) || '' === $password ) {
			$this->markTestSkipped( 'needs the built admin app and the harness admin password (scripts/harness.sh env test)' );
		}
		$login = wp_remote_post(
			site_url( 'wp-login.php' ),
			array(
				'body'        => array(
					'log'        => 'admin',
					'pwd'        => $password,
					'testcookie' => '1',
				),
				'cookies'     => array(
					new \WP_Http_Cookie(
						array(
							'name'  => 'wordpress_test_cookie',
							'value' => 'WP Cookie check',
						)
					),
				),
				'redirection' => 0,
				'timeout'     => 20,
			)
		);
		$this->assertFalse( is_wp_error( $login ) );
		$cookies = wp_remote_retrieve_cookies( $login );
		$this->assertNotEmpty( $cookies, 'logged in' );

		$page = wp_remote_get(
			admin_url( 'admin.php?page=layersync' ),
			array(
				'cookies' => $cookies,
				'timeout' => 20,
			)
		);
		$html = (string) wp_remote_retrieve_body( $page );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $page ) );
		$this->assertStringContainsString( '<div id="layersync-admin-root"></div>', $html );
		$this->assertMatchesRegularExpression( '#/wp-content/plugins/layersync/build/admin/index\.js\?ver=#', $html );
		$this->assertStringContainsString( 'window.LayerSyncAdminConfig = {"restNamespace":"layersync\\/v1"', $html );
		$this->assertStringContainsString( '/build/admin/index.css', $html );
		global $wp_version;
		if ( version_compare( $wp_version, '6.6', '<' ) ) {
			$this->assertStringContainsString( 'window.ReactJSXRuntime=', $html, 'the JSX runtime shim stands in on WordPress < 6.6' );
			$this->assertLessThan( strpos( $html, 'build/admin/index.js' ), strpos( $html, 'window.ReactJSXRuntime=' ) );
		}
	}

	/**
	 * Runs the shim against a fake React and checks jsx / jsxs / Fragment.
	 *
	 * @param string $shim Shim source.
	 */
	private function check_shim( string $shim ): void {
		if ( '' === Node::binary() ) {
			$this->markTestSkipped( 'node is not installed' );
		}
		$out = Node::run(
			'global.window = { React: { Fragment: "F", createElement: function () { return Array.prototype.slice.call(arguments); } } };'
			. $shim
			. 'var r = window.ReactJSXRuntime;'
			. 'process.stdout.write(JSON.stringify([ r.jsx("p", {id: "a", children: "x"}, "k"), r.jsxs("ul", {children: ["1", "2"]}), r.jsx("b", {}), r.Fragment ]));'
		);
		$this->assertSame(
			array(
				array(
					'p',
					array(
						'id'  => 'a',
						'key' => 'k',
					),
					'x',
				),
				array( 'ul', array(), '1', '2' ),
				array( 'b', array() ),
				'F',
			),
			json_decode( $out, true )
		);
	}

	/**
	 * Registers the menu page (sets the page's hook suffix).
	 *
	 * @param AdminPage $page Page.
	 */
	private function menu( AdminPage $page ): void {
		$page->add_menu_page();
	}

	/**
	 * Output of render().
	 *
	 * @param AdminPage $page Page.
	 * @return string
	 */
	private function render( AdminPage $page ): string {
		ob_start();
		$page->render();
		return (string) ob_get_clean();
	}

	/**
	 * A throwaway administrator.
	 *
	 * @return int
	 */
	private function admin(): int {
		$user_id = wp_insert_user(
			array(
				'user_login' => 'layersync_admin_' . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'user_email' => 'layersync-admin-' . wp_generate_password( 6, false ) . '@example.test',
				'role'       => 'administrator',
			)
		);
		$this->assertIsInt( $user_id );
		$this->user_id = $user_id;
		return $user_id;
	}
}
