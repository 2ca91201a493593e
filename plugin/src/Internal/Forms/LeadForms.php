<?php
/**
 * Lead capture from form plugins.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

/**
 * Registers every form integration: Contact Form 7, WPForms, Ninja Forms, Formidable Forms and
 * WooCommerce account creation. Each one only adds hooks that its plugin fires (a few
 * add_action calls per request when the plugin is absent, nothing else), and checks the
 * plugin's classes before calling them.
 *
 * @since 0.1.0
 */
final class LeadForms {

	/**
	 * Records leads.
	 *
	 * @var LeadRecorder
	 */
	private LeadRecorder $leads;

	/**
	 * Settings.
	 *
	 * @var FormsSettings
	 */
	private FormsSettings $forms;

	/**
	 * Constructor.
	 *
	 * @param LeadRecorder  $leads Records leads.
	 * @param FormsSettings $forms Settings.
	 */
	public function __construct( LeadRecorder $leads, FormsSettings $forms ) {
		$this->leads = $leads;
		$this->forms = $forms;
	}

	/**
	 * Hooks of every integration.
	 */
	public function register(): void {
		( new ContactForm7( $this->leads ) )->register();
		( new WPForms( $this->leads ) )->register();
		( new NinjaForms( $this->leads ) )->register();
		( new Formidable( $this->leads ) )->register();
		( new WooCommerceSignUp( $this->leads, $this->forms ) )->register();
	}
}
