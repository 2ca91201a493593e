<?php
/**
 * Stand-ins for Action Scheduler's API (not installable here), with its signatures. Loaded only
 * inside a test that runs in a separate process; every call is recorded.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals -- these are Action Scheduler's own function names.

$GLOBALS['layersync_test_as_calls'] = array();

/**
 * Stand-in: nothing is ever scheduled yet.
 *
 * @param string       $hook  Hook.
 * @param mixed[]|null $args  Args.
 * @param string       $group Group.
 * @return bool
 */
function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
	return false;
}

/**
 * Stand-in.
 *
 * @param string  $hook     Hook.
 * @param mixed[] $args     Args.
 * @param string  $group    Group.
 * @param bool    $unique   Unique.
 * @param int     $priority Priority.
 * @return int
 */
function as_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	$GLOBALS['layersync_test_as_calls'][] = array( 'async', $hook, $args, $group, $unique );
	return 1;
}

/**
 * Stand-in.
 *
 * @param int     $timestamp When.
 * @param string  $hook      Hook.
 * @param mixed[] $args      Args.
 * @param string  $group     Group.
 * @param bool    $unique    Unique.
 * @param int     $priority  Priority.
 * @return int
 */
function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	$GLOBALS['layersync_test_as_calls'][] = array( 'single', $hook, $args, $group, $unique );
	return 2;
}

/**
 * Stand-in.
 *
 * @param string  $hook  Hook.
 * @param mixed[] $args  Args.
 * @param string  $group Group.
 * @return void
 */
function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
	$GLOBALS['layersync_test_as_calls'][] = array( 'unschedule', $hook, $args, $group );
}
