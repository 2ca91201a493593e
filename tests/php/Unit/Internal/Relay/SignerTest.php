<?php
/**
 * Request signing.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Unit\Internal\Relay;

use LayerSync\Internal\Relay\Signer;
use PHPUnit\Framework\TestCase;

final class SignerTest extends TestCase {

	private const SECRET     = 'whsec-test-0123456789abcdef0123456789abcdef';
	private const REQUEST_ID = '0192f5c4-8e2a-4b7c-9d1e-123456789abc';
	private const TIMESTAMP  = 1732390000;
	private const BODY       = '{"events":[{"event_id":"e1","café":true}]}';

	public function test_signature_matches_an_independently_computed_vector(): void {
		// Computed with Python: hmac.new(secret, b"{id}.{ts}.{body}", sha256).hexdigest(),
		// over the UTF-8 bytes of the body (note the "é").
		$this->assertSame(
			'v1=671a2d731a75240a753bb504da3378fc51b3aab7bdddd9ec9b057c44c9056ade',
			Signer::signature( self::SECRET, self::REQUEST_ID, self::TIMESTAMP, self::BODY )
		);
	}

	public function test_any_change_to_the_signed_parts_changes_the_signature(): void {
		$base = Signer::signature( self::SECRET, self::REQUEST_ID, self::TIMESTAMP, self::BODY );
		$this->assertNotSame( $base, Signer::signature( self::SECRET . 'x', self::REQUEST_ID, self::TIMESTAMP, self::BODY ) );
		$this->assertNotSame( $base, Signer::signature( self::SECRET, self::REQUEST_ID . 'x', self::TIMESTAMP, self::BODY ) );
		$this->assertNotSame( $base, Signer::signature( self::SECRET, self::REQUEST_ID, self::TIMESTAMP + 1, self::BODY ) );
		$this->assertNotSame( $base, Signer::signature( self::SECRET, self::REQUEST_ID, self::TIMESTAMP, self::BODY . ' ' ) );
	}

	public function test_headers(): void {
		$this->assertSame(
			array(
				'Content-Type'           => 'application/json',
				'X-LayerSync-Site'       => 'shop-1',
				'X-LayerSync-Request-Id' => self::REQUEST_ID,
				'X-LayerSync-Timestamp'  => '1732390000',
				'X-LayerSync-Signature'  => 'v1=671a2d731a75240a753bb504da3378fc51b3aab7bdddd9ec9b057c44c9056ade',
			),
			Signer::headers( 'shop-1', self::SECRET, self::REQUEST_ID, self::TIMESTAMP, self::BODY )
		);
	}
}
