<?php
/**
 * Stand-ins for the static APIs of Contact Form 7 and Formidable Forms (not installable here),
 * with the documented method names and return shapes LayerSync calls. Loaded only inside tests
 * that run in a separate process; each test sets the data they return.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

// phpcs:disable Generic.Files.OneObjectStructurePerFile, WordPress.NamingConventions -- these are the form plugins' own class and method names.

/**
 * Contact Form 7: one form tag (public name / basetype, as WPCF7_FormTag has).
 */
class WPCF7_FormTag {

	/**
	 * Tag type as written, e.g. "email*".
	 *
	 * @var string
	 */
	public string $type;

	/**
	 * Type without the required marker, e.g. "email".
	 *
	 * @var string
	 */
	public string $basetype;

	/**
	 * Field name.
	 *
	 * @var string
	 */
	public string $name;

	/**
	 * Constructor.
	 *
	 * @param string $type Type as written.
	 * @param string $name Field name.
	 */
	public function __construct( string $type, string $name ) {
		$this->type     = $type;
		$this->basetype = rtrim( $type, '*' );
		$this->name     = $name;
	}
}

/**
 * Contact Form 7: a form.
 */
class WPCF7_ContactForm {

	/**
	 * Id.
	 *
	 * @var int
	 */
	private int $id;

	/**
	 * Title.
	 *
	 * @var string
	 */
	private string $title;

	/**
	 * Tags.
	 *
	 * @var WPCF7_FormTag[]
	 */
	private array $tags;

	/**
	 * Constructor.
	 *
	 * @param int             $id    Id.
	 * @param string          $title Title.
	 * @param WPCF7_FormTag[] $tags  Tags.
	 */
	public function __construct( int $id, string $title, array $tags ) {
		$this->id    = $id;
		$this->title = $title;
		$this->tags  = $tags;
	}

	/**
	 * Id.
	 *
	 * @return int
	 */
	public function id(): int {
		return $this->id;
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return $this->title;
	}

	/**
	 * Form tags.
	 *
	 * @param mixed $cond Filter (ignored).
	 * @return WPCF7_FormTag[]
	 */
	public function scan_form_tags( $cond = null ): array {
		return $this->tags;
	}
}

/**
 * Contact Form 7: the current submission (WPCF7_Submission::get_instance() with no argument
 * returns it once a form was submitted in this request).
 */
class WPCF7_Submission {

	/**
	 * The submission of this request.
	 *
	 * @var WPCF7_Submission|null
	 */
	public static ?WPCF7_Submission $current = null;

	/**
	 * Posted data.
	 *
	 * @var array<string, mixed>
	 */
	private array $posted;

	/**
	 * Constructor.
	 *
	 * @param array<string, mixed> $posted Posted data.
	 */
	public function __construct( array $posted ) {
		$this->posted = $posted;
	}

	/**
	 * The current submission.
	 *
	 * @param mixed $contact_form Form (ignored).
	 * @param mixed $args         Args (ignored).
	 * @return WPCF7_Submission|null
	 */
	public static function get_instance( $contact_form = null, $args = '' ): ?WPCF7_Submission {
		return self::$current;
	}

	/**
	 * Posted data, or one field.
	 *
	 * @param string $name Field name, or '' for all.
	 * @return mixed
	 */
	public function get_posted_data( string $name = '' ) {
		return '' === $name ? $this->posted : ( $this->posted[ $name ] ?? null );
	}
}

/**
 * Formidable: entries (FrmEntry::getOne( $id, true ) returns the entry with its metas).
 */
class FrmEntry {

	/**
	 * Entries by id.
	 *
	 * @var array<int, object>
	 */
	public static array $entries = array();

	/**
	 * One entry.
	 *
	 * @param int|string $id   Entry id.
	 * @param bool       $meta Whether to load metas (always loaded here).
	 * @return object|false
	 */
	public static function getOne( $id, bool $meta = false ) {
		return self::$entries[ (int) $id ] ?? false;
	}
}

/**
 * Formidable: field definitions per form.
 */
class FrmField {

	/**
	 * Fields by form id.
	 *
	 * @var array<int, object[]>
	 */
	public static array $fields = array();

	/**
	 * A form's fields.
	 *
	 * @param int|string $form_id    Form id.
	 * @param string     $limit      Limit (ignored).
	 * @param string     $inc_embed  Embedded forms (ignored).
	 * @param string     $inc_repeat Repeaters (ignored).
	 * @return object[]
	 */
	public static function get_all_for_form( $form_id, string $limit = '', string $inc_embed = 'exclude', string $inc_repeat = 'include' ): array {
		return self::$fields[ (int) $form_id ] ?? array();
	}
}

/**
 * Formidable: forms.
 */
class FrmForm {

	/**
	 * Names by form id.
	 *
	 * @var array<int, string>
	 */
	public static array $names = array();

	/**
	 * A form's name.
	 *
	 * @param int|string $id Form id.
	 * @return string
	 */
	public static function getName( $id ): string {
		return self::$names[ (int) $id ] ?? '';
	}
}
