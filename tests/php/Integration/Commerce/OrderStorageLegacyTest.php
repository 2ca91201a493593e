<?php
/**
 * The purchase path with orders stored as posts (legacy storage).
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class OrderStorageLegacyTest extends OrderStorageTestCase {

	protected bool $hpos = false;
}
