<?php
/**
 * Composition root.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync;

use LayerSync\Internal\Admin\AdminPage;
use LayerSync\Internal\Admin\RelayAdminClient;
use LayerSync\Internal\Admin\RelayProxyController;
use LayerSync\Internal\Commerce\Integration as Commerce;
use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Event\TrackedEvents;
use LayerSync\Internal\Forms\BrowserHandoff;
use LayerSync\Internal\Forms\FormsSettings;
use LayerSync\Internal\Forms\LeadForms;
use LayerSync\Internal\Forms\LeadRecorder;
use LayerSync\Internal\Frontend;
use LayerSync\Internal\Health\SiteHealth;
use LayerSync\Internal\Identity\Hasher;
use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\OutboxTable;
use LayerSync\Internal\Privacy\ConsentApiRegistration;
use LayerSync\Internal\Privacy\ConsentResolver;
use LayerSync\Internal\Privacy\PersonalData;
use LayerSync\Internal\Privacy\VisitorId;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Rest\EventsController;
use LayerSync\Internal\Rest\FormsController;
use LayerSync\Internal\Rest\OutboxController;
use LayerSync\Internal\Rest\RateLimiter;
use LayerSync\Internal\Rest\SettingsController;
use LayerSync\Internal\Settings;

/**
 * Builds the plugin's services once, wires their dependencies, and asks each to register its
 * hooks. Nothing here runs business logic.
 *
 * @since 0.1.0
 */
final class Plugin {

	/**
	 * The booted instance.
	 *
	 * @var Plugin|null
	 */
	private static ?Plugin $instance = null;

	/**
	 * Plugin directory with trailing slash.
	 *
	 * @var string
	 */
	private string $dir;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Drain scheduling.
	 *
	 * @var DrainScheduler
	 */
	private DrainScheduler $scheduler;

	/**
	 * Outbox storage.
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Event recording.
	 *
	 * @var EventRecorder
	 */
	private EventRecorder $recorder;

	/**
	 * The events the merchant switched on.
	 *
	 * @var TrackedEvents
	 */
	private TrackedEvents $tracked;

	/**
	 * Relay client.
	 *
	 * @var RelayClient
	 */
	private RelayClient $relay;

	/**
	 * Server-side consent and the site's privacy switches.
	 *
	 * @var ConsentResolver
	 */
	private ConsentResolver $consent;

	/**
	 * First-party visitor id.
	 *
	 * @var VisitorId
	 */
	private VisitorId $visitor;

	/**
	 * WooCommerce integration (inert without WooCommerce).
	 *
	 * @var Commerce
	 */
	private Commerce $commerce;

	/**
	 * Constructor: builds the object graph.
	 *
	 * @param string $plugin_file Main plugin file.
	 */
	private function __construct( string $plugin_file ) {
		$this->dir       = trailingslashit( dirname( $plugin_file ) );
		$this->settings  = new Settings();
		$this->scheduler = new DrainScheduler();
		$this->outbox    = new OutboxRepository();
		$this->relay     = new RelayClient( $this->settings );
		$this->consent   = new ConsentResolver( $this->settings );
		$this->visitor   = new VisitorId();
		$this->tracked   = new TrackedEvents();
		$this->recorder  = new EventRecorder( $this->outbox, new EventValidator(), $this->scheduler, $this->consent, $this->tracked );
		$this->commerce  = new Commerce( $this->recorder, $this->outbox, $this->settings, new ConsentResolver( $this->settings ) );
	}

	/**
	 * Creates the instance and registers its hooks (once).
	 *
	 * @return Plugin
	 */
	public static function boot(): Plugin {
		if ( null === self::$instance ) {
			self::$instance = new self( LAYERSYNC_FILE );
			self::$instance->register();
		}
		return self::$instance;
	}

	/**
	 * The booted instance, for code that runs later (integrations, tests).
	 *
	 * @return Plugin|null
	 */
	public static function instance(): ?Plugin {
		return self::$instance;
	}

	/**
	 * Registers every component's hooks.
	 */
	public function register(): void {
		add_action( 'plugins_loaded', array( $this, 'maybe_upgrade' ) );
		add_action( 'init', array( $this, 'load_textdomain' ) );
		add_action( 'admin_notices', array( $this, 'woocommerce_version_notice' ) );

		$this->scheduler->register();
		( new Drainer( $this->outbox, $this->relay, $this->settings, $this->scheduler ) )->register();
		( new EventsController( $this->recorder, new EventValidator(), $this->settings, new RateLimiter(), $this->visitor ) )->register();
		( new OutboxController( $this->outbox, $this->scheduler ) )->register();
		$forms = new FormsSettings();
		( new FormsController( $forms ) )->register();
		( new LeadForms( new LeadRecorder( $this->recorder, $this->consent, $this->visitor, $forms, $this->settings, new BrowserHandoff(), $this->tracked ), $forms ) )->register();
		( new PersonalData( $this->outbox, $this->relay, $this->settings ) )->register();
		( new ConsentApiRegistration( plugin_basename( LAYERSYNC_FILE ) ) )->register();
		( new SiteHealth( $this->outbox, $this->relay, $this->settings ) )->register();
		( new SettingsController( $this->settings, $this->relay, $this->outbox, $this->scheduler, $this->commerce->settings(), $this->tracked ) )->register();
		( new Frontend( $this->settings, $this->dir, $this->commerce->page_data(), $this->tracked ) )->register();
		$this->commerce->register();
		( new RelayProxyController( new RelayAdminClient( $this->settings ), array( $this->settings, 'site_id' ) ) )->register();
		if ( is_admin() ) {
			( new AdminPage( $this->dir ) )->register();
		}
	}

	/**
	 * Upgrades the database schema after the plugin's files were updated.
	 */
	public function maybe_upgrade(): void {
		OutboxTable::maybe_upgrade();
	}

	/**
	 * Loads translations shipped in languages/ (those from translate.wordpress.org load on their own).
	 */
	public function load_textdomain(): void {
		load_plugin_textdomain( 'layersync', false, dirname( plugin_basename( LAYERSYNC_FILE ) ) . '/languages' );
	}

	/**
	 * Warns when WooCommerce is active but older than supported: its events are then not recorded.
	 */
	public function woocommerce_version_notice(): void {
		if ( ! defined( 'WC_VERSION' ) || ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		$version = (string) constant( 'WC_VERSION' );
		if ( version_compare( $version, LAYERSYNC_MIN_WC, '>=' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-warning"><p>%s</p></div>',
			esc_html(
				sprintf(
					/* translators: 1: required WooCommerce version, 2: installed version */
					__( 'LayerSync supports WooCommerce %1$s or newer; this site runs %2$s. Update WooCommerce so that orders are tracked.', 'layersync' ),
					LAYERSYNC_MIN_WC,
					$version
				)
			)
		);
	}

	/**
	 * Activation: create the table and options, schedule the safety-net drain.
	 */
	public static function activate(): void {
		OutboxTable::install();
		Settings::add_defaults();
		$scheduler = new DrainScheduler();
		add_filter( 'cron_schedules', array( $scheduler, 'add_recurrence' ) ); // phpcs:ignore WordPress.WP.CronInterval.ChangeDetected -- same 5-minute recurrence as DrainScheduler::register().
		$scheduler->ensure_recurring();
	}

	/**
	 * Deactivation: stop scheduled drains; data stays until uninstall.
	 */
	public static function deactivate(): void {
		( new DrainScheduler() )->unschedule_all();
	}

	/**
	 * Records a canonical event into the outbox (used by integrations such as WooCommerce hooks).
	 *
	 * @return EventRecorder
	 */
	public function recorder(): EventRecorder {
		return $this->recorder;
	}

	/**
	 * Consent snapshot for events the server records itself (WP Consent API, layersync_consent
	 * filter, the site's Do-Not-Sell / Limited Data Use switches).
	 *
	 * @return ConsentResolver
	 */
	public function consent(): ConsentResolver {
		return $this->consent;
	}

	/**
	 * Identifier hasher using the store's calling code for national phone numbers.
	 *
	 * @return Hasher
	 */
	public function hasher(): Hasher {
		return new Hasher( $this->settings->default_calling_code() );
	}

	/**
	 * The WooCommerce integration (its hooks are registered once WooCommerce has loaded).
	 *
	 * @return Commerce
	 */
	public function commerce(): Commerce {
		return $this->commerce;
	}
}
