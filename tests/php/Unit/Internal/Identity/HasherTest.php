<?php
/**
 * Identifier normalization and hashing.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Identity;

use LayerSync\Internal\Identity\Hasher;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

final class HasherTest extends TestCase {

	/**
	 * The shared vectors (docs/identity-vectors.json) that the tracker and the Node SDK check too.
	 *
	 * @param string $key        Identity key.
	 * @param string $input      Raw value.
	 * @param string $normalized Expected normalized value ('' = not sent).
	 * @param string $country    Address country.
	 * @param string $calling    Default calling code.
	 */
	#[DataProvider( 'shared_vectors' )]
	public function test_shared_vectors( string $key, string $input, string $normalized, string $country, string $calling ): void {
		$hasher = new Hasher( $calling );
		$this->assertSame( $normalized, $hasher->normalize( $key, $input, $country ) );
		$this->assertSame( '' === $normalized ? '' : hash( 'sha256', $normalized ), $hasher->hash( $key, $input, $country ) );
	}

	/**
	 * Data provider reading docs/identity-vectors.json.
	 *
	 * @return array<string, array{string, string, string, string, string}>
	 */
	public static function shared_vectors(): array {
		$file = dirname( __DIR__, 5 ) . '/docs/identity-vectors.json';
		$data = json_decode( (string) file_get_contents( $file ), true, 512, JSON_THROW_ON_ERROR );
		$out  = array();
		foreach ( $data['vectors'] as $i => $vector ) {
			$out[ sprintf( '#%d %s %s', $i, $vector['key'], $vector['input'] ) ] = array(
				$vector['key'],
				$vector['input'],
				$vector['normalized'],
				(string) ( $vector['country'] ?? '' ),
				(string) $data['default_calling_code'],
			);
		}
		return $out;
	}

	public function test_hashed_keys_are_those_of_the_canonical_schema(): void {
		$keys = array_merge( Hasher::HASHED_KEYS, array_keys( Hasher::VARIANTS ) );
		sort( $keys );
		$this->assertSame( self::canonical_hashed_keys(), $keys );
	}

	/**
	 * Identity keys typed sha256Hex in relay/src/contract/event.ts, the one definition of the event.
	 *
	 * @return string[]
	 */
	public static function canonical_hashed_keys(): array {
		$source = (string) file_get_contents( dirname( __DIR__, 5 ) . '/relay/src/contract/event.ts' );
		$start  = strpos( $source, 'export const identitySchema' );
		$end    = strpos( $source, '.strict()', (int) $start );
		preg_match_all( '/^\s{4}(\w+): sha256Hex\b/m', substr( $source, (int) $start, (int) $end - (int) $start ), $m );
		$keys = $m[1];
		sort( $keys );
		return $keys;
	}

	public function test_known_sha256_of_the_e2e_email(): void {
		// The end-to-end test expects exactly this digest at the (fake) Meta API.
		$this->assertSame(
			'86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d',
			( new Hasher() )->hash( 'em', ' Jane.Doe@Example.com ' )
		);
		$this->assertSame(
			'08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c',
			( new Hasher() )->hash( 'fn', ' Valéry ' ),
			'hashed over the UTF-8 bytes'
		);
	}

	/**
	 * Values that cannot be normalized are not sent.
	 *
	 * @param string $key   Key.
	 * @param string $input Raw value.
	 */
	#[DataProvider( 'unusable_values' )]
	public function test_unusable_values_normalize_to_nothing( string $key, string $input ): void {
		$this->assertSame( '', ( new Hasher( '1' ) )->normalize( $key, $input ) );
		$this->assertSame( '', ( new Hasher( '1' ) )->hash( $key, $input ) );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{string, string}>
	 */
	public static function unusable_values(): array {
		return array(
			'email without @'       => array( 'em', 'jane.example.com' ),
			'phone too short'       => array( 'ph', '+1 555' ),
			'phone too long'        => array( 'ph', '+1 650 555 1212 1234 5' ),
			'phone only zeros'      => array( 'ph', '000' ),
			'country not alpha-2'   => array( 'country', 'USA' ),
			'gender not f/m'        => array( 'ge', 'x' ),
			'birth date day first'  => array( 'db', '16/02/1997' ),
			'birth date impossible' => array( 'db', '1997-02-30' ),
			'name of only symbols'  => array( 'fn', ' -- ' ),
			'unknown key'           => array( 'nickname', 'Jay' ),
			'only spaces'           => array( 'external_id', "  \t " ),
		);
	}

	public function test_national_phone_needs_a_default_calling_code(): void {
		$this->assertSame( '', ( new Hasher() )->normalize( 'ph', '(650) 555-1212' ) );
		$this->assertSame( '446505551212', ( new Hasher( '+44' ) )->normalize( 'ph', '06505551212' ) );
		$this->assertSame( '16505551212', ( new Hasher() )->normalize( 'ph', '+1 (650) 555-1212' ), 'international numbers need no default' );
	}

	public function test_birth_dates_and_postal_codes(): void {
		$hasher = new Hasher();
		$this->assertSame( '19970216', $hasher->normalize( 'db', '1997/2/16' ) );
		$this->assertSame( '19970216', $hasher->normalize( 'db', '19970216' ) );
		$this->assertSame( '94035', $hasher->normalize( 'zp', ' 94035 1234 ', 'US' ) );
		$this->assertSame( 'm11ae', $hasher->normalize( 'zp', 'M1 1AE', 'gb' ) );
		$this->assertSame( '75001', $hasher->normalize( 'zp', '75001', '' ) );
	}

	public function test_hash_identity_hashes_known_keys_and_skips_the_rest(): void {
		$identity = ( new Hasher( '1' ) )->hash_identity(
			array(
				'em'       => ' Jane.Doe@Example.com ',
				'ph'       => '(650)555-1212',
				'zp'       => '94035-1234',
				'country'  => 'US',
				'fn'       => '',
				'nickname' => 'JD',
				'ge'       => null,
			)
		);
		$this->assertSame(
			array(
				'em'        => hash( 'sha256', 'jane.doe@example.com' ),
				'em_google' => hash( 'sha256', 'jane.doe@example.com' ),
				'em_reddit' => hash( 'sha256', 'janedoe@example.com' ),
				'ph'        => hash( 'sha256', '16505551212' ),
				'ph_e164'   => hash( 'sha256', '+16505551212' ),
				'zp'        => hash( 'sha256', '94035' ),
				'country'   => hash( 'sha256', 'us' ),
			),
			$identity
		);
		foreach ( $identity as $digest ) {
			$this->assertMatchesRegularExpression( '/^[a-f0-9]{64}$/', $digest );
		}
	}
}
