<?php
/**
 * Runs tests/php/Support/fake-relay.php under PHP's built-in server on a free local port.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Support;

/**
 * A real HTTP endpoint for the drain: started per test class, stopped (by its process id) after.
 */
final class FakeRelayServer {

	/**
	 * Server process.
	 *
	 * @var resource|null
	 */
	private $process = null;

	/**
	 * Port it listens on.
	 *
	 * @var int
	 */
	public readonly int $port;

	/**
	 * File with one JSON line per request received.
	 *
	 * @var string
	 */
	private string $log;

	/**
	 * Starts the server.
	 *
	 * @param string   $secret Secret it verifies signatures with.
	 * @param int|null $port   Port to listen on (e.g. one a drain already failed to reach); a free one by default.
	 * @throws \RuntimeException When it does not come up.
	 */
	public function __construct( string $secret, ?int $port = null ) {
		$this->port = $port ?? self::free_port();
		$this->log  = (string) tempnam( sys_get_temp_dir(), 'layersync-fake-relay-' );
		$process    = proc_open(
			array( PHP_BINARY, '-S', '127.0.0.1:' . $this->port, __DIR__ . '/fake-relay.php' ),
			array(
				0 => array( 'file', '/dev/null', 'r' ),
				1 => array( 'file', '/dev/null', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes,
			__DIR__,
			array_merge(
				getenv(),
				array(
					'FAKE_RELAY_SECRET' => $secret,
					'FAKE_RELAY_LOG'    => $this->log,
				)
			)
		);
		if ( ! is_resource( $process ) ) {
			throw new \RuntimeException( 'could not start the fake relay' );
		}
		$this->process = $process;
		for ( $i = 0; $i < 100; $i++ ) {
			$socket = @fsockopen( '127.0.0.1', $this->port, $errno, $errstr, 0.1 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- polling until it listens.
			if ( is_resource( $socket ) ) {
				fclose( $socket );
				return;
			}
			usleep( 50000 );
		}
		$this->stop();
		throw new \RuntimeException( 'the fake relay did not start listening' );
	}

	/**
	 * Base URL.
	 *
	 * @return string
	 */
	public function url(): string {
		return 'http://127.0.0.1:' . $this->port;
	}

	/**
	 * Requests received so far.
	 *
	 * @return array<int, array<string, mixed>>
	 */
	public function requests(): array {
		$lines = file( $this->log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES );
		return array_map( static fn( string $line ): array => (array) json_decode( $line, true ), false === $lines ? array() : $lines );
	}

	/**
	 * Stops the server process (only this one, by its own id) and removes its log.
	 */
	public function stop(): void {
		if ( is_resource( $this->process ) ) {
			proc_terminate( $this->process );
			proc_close( $this->process );
		}
		$this->process = null;
		if ( is_file( $this->log ) ) {
			unlink( $this->log );
		}
	}

	/**
	 * A port nothing listens on right now.
	 *
	 * @return int
	 */
	public static function free_port(): int {
		$server = stream_socket_server( 'tcp://127.0.0.1:0' );
		if ( false === $server ) {
			throw new \RuntimeException( 'no free port' );
		}
		$name = (string) stream_socket_get_name( $server, false );
		fclose( $server );
		return (int) substr( $name, strrpos( $name, ':' ) + 1 );
	}
}
