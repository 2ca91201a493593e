<?php
/**
 * The purchase path with orders stored in custom order tables (HPOS).
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class OrderStorageHposTest extends OrderStorageTestCase {

	protected bool $hpos = true;
}
