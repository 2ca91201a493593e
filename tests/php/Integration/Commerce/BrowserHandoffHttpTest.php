<?php
/**
 * The add_to_cart id reaches the browser in a real HTTP response.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\BrowserHandoff;
use LayerSync\Tests\Support\Commerce\WooCommerceStandIn;
use LayerSync\Tests\Support\Node;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class BrowserHandoffHttpTest extends CommerceTestCase {

	protected function tearDown(): void {
		WooCommerceStandIn::uninstall_for_http();
		parent::tearDown();
	}

	public function test_ajax_add_to_cart_response_sets_the_cookie_the_tracker_reads(): void {
		$product = $this->product( 'Café Crème "Mug" ; 50%', 'MUG-1', '12.50', array( 'Kitchen' ) );
		WooCommerceStandIn::install_for_http();

		$response = wp_remote_post(
			add_query_arg( 'wc-ajax', 'add_to_cart', home_url( '/' ) ),
			array(
				'timeout' => 20,
				'headers' => array(
					'X-LayerSync-Stand-In' => 'posts',
					'Referer'              => home_url( '/shop/' ),
					'User-Agent'           => self::USER_AGENT,
					'Cookie'               => 'layersync_consent=' . rawurlencode( (string) wp_json_encode( self::CONSENT_GRANTED ) ) . '; _fbp=' . self::FBP,
				),
				'body'    => array(
					'product_id' => (string) $product->get_id(),
					'quantity'   => '2',
				),
			)
		);

		$this->assertFalse( is_wp_error( $response ), is_wp_error( $response ) ? $response->get_error_message() : '' );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $response ), wp_remote_retrieve_body( $response ) );
		$answer = json_decode( wp_remote_retrieve_body( $response ), true );
		$this->assertIsArray( $answer );
		$this->assertArrayHasKey( 'fragments', $answer, 'WooCommerce\'s own AJAX answer is untouched' );

		$headers = wp_remote_retrieve_header( $response, 'set-cookie' );
		$cookie  = '';
		foreach ( (array) $headers as $header ) {
			if ( str_starts_with( (string) $header, BrowserHandoff::COOKIE . '=' ) ) {
				$cookie = (string) $header;
			}
		}
		$this->assertNotSame( '', $cookie, 'Set-Cookie: ' . wp_json_encode( $headers ) );
		$this->assertMatchesRegularExpression( '/; path=\/(;|$)/i', $cookie );
		$this->assertMatchesRegularExpression( '/; Max-Age=300(;|$)/i', $cookie );
		$this->assertMatchesRegularExpression( '/; SameSite=Lax(;|$)/i', $cookie );
		$this->assertStringNotContainsStringIgnoringCase( 'HttpOnly', $cookie, 'the tracker must read it' );
		$value = substr( (string) strtok( $cookie, ';' ), strlen( BrowserHandoff::COOKIE ) + 1 );

		$rows = self::outbox_rows();
		$this->assertCount( 1, $rows );
		$this->assertSame( 'add_to_cart', $rows[0]['event_name'] );
		$entries = json_decode( rawurldecode( $value ), true );
		$this->assertIsArray( $entries );
		$this->assertSame( $rows[0]['event_id'], $entries[0]['event_id'] );
		$this->assertSame( 'add_to_cart', $entries[0]['event_name'] );
		$this->assertSame( 'woocommerce:add_to_cart', $entries[0]['source'] );
		$this->assertEqualsWithDelta( time(), $entries[0]['t'], 30 );
		$this->assertSame( 'Café Crème "Mug" ; 50%', $entries[0]['commerce']['items'][0]['name'] );
		$this->assertSame( 2, $entries[0]['commerce']['items'][0]['quantity'] );
		$stored = json_decode( (string) $rows[0]['payload'], true );
		$this->assertIsArray( $stored );
		$this->assertSame( self::FBP, $stored['identity']['fbp'] );
		$this->assertSame( home_url( '/shop/' ), $stored['context']['url'] );

		if ( '' !== Node::binary() ) {
			// What the tracker does: decodeURIComponent() of document.cookie's value, then JSON.parse().
			$decoded = json_decode( Node::run( 'process.stdout.write(JSON.stringify(JSON.parse(decodeURIComponent(' . wp_json_encode( $value ) . '))))' ), true );
			$this->assertSame( $entries, $decoded );
		}
	}
}
