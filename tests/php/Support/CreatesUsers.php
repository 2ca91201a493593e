<?php
/**
 * Users for permission tests, deleted after each test.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Support;

/**
 * For IntegrationTestCase subclasses: user( $role ) creates a user and tearDown() removes it
 * (call delete_users() from tearDown()).
 */
trait CreatesUsers {

	/**
	 * Users created for the test.
	 *
	 * @var int[]
	 */
	private array $created_users = array();

	/**
	 * Creates a user with a role.
	 *
	 * @param string $role Role.
	 * @return int
	 */
	protected function user( string $role ): int {
		$user_id = wp_insert_user(
			array(
				'user_login' => 'layersync_' . $role . '_' . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'user_email' => 'layersync-' . wp_generate_password( 6, false ) . '@example.test',
				'role'       => $role,
			)
		);
		\PHPUnit\Framework\Assert::assertIsInt( $user_id );
		$this->created_users[] = $user_id;
		return $user_id;
	}

	/**
	 * Deletes the users created.
	 */
	protected function delete_users(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( $this->created_users as $user_id ) {
			wp_delete_user( $user_id );
		}
		$this->created_users = array();
	}

	/**
	 * Logs in as the harness administrator over HTTP (wp-login.php) and fetches a REST nonce,
	 * the way the wp-admin app authenticates: auth cookies plus X-WP-Nonce.
	 *
	 * @return array{cookies: array<int, \WP_Http_Cookie>, nonce: string}
	 */
	protected function admin_http_session(): array {
		$password = (string) getenv( 'LAYERSYNC_WP_ADMIN_PASSWORD' );
		\PHPUnit\Framework\Assert::assertNotSame( '', $password, 'LAYERSYNC_WP_ADMIN_PASSWORD comes from scripts/harness.sh env' );
		$login = wp_remote_post(
			site_url( 'wp-login.php' ),
			array(
				'body'        => array(
					'log'        => 'admin',
					'pwd'        => $password,
					'testcookie' => '1',
				),
				'cookies'     => array( 'wordpress_test_cookie' => 'WP Cookie check' ),
				'redirection' => 0,
				'timeout'     => 20,
			)
		);
		\PHPUnit\Framework\Assert::assertSame( 302, wp_remote_retrieve_response_code( $login ), 'administrator login over HTTP' );
		$cookies = wp_remote_retrieve_cookies( $login );
		$nonce   = wp_remote_get(
			admin_url( 'admin-ajax.php?action=rest-nonce' ),
			array(
				'cookies' => $cookies,
				'timeout' => 20,
			)
		);
		$value   = trim( (string) wp_remote_retrieve_body( $nonce ) );
		\PHPUnit\Framework\Assert::assertMatchesRegularExpression( '/^[0-9a-f]{10}$/', $value, 'REST nonce' );
		return array(
			'cookies' => $cookies,
			'nonce'   => $value,
		);
	}
}
