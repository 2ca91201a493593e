/**
 * Lead forms: per form plugin, whether it is active, whether its submissions are recorded, and
 * which of its fields identify the person (automatic detection plus rules). Reads and saves
 * `/admin/forms`; WooCommerce's fields are fixed, so only its switch is editable.
 */
import { Button, Notice, Panel, PanelBody, SelectControl, TextControl, ToggleControl } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { type FormPluginSettings, type FormsReport, errorMessage, forms } from '../api';
import { LoadError, Loading, type Status, StatusNotice, TitledCard, useLoad } from '../ui/common';
import { targetLabel } from '../ui/labels';

type Rule = { id: number; key: string; target: string };

let nextRuleId = 1;
const toRules = (fields: Record<string, string>): Rule[] => Object.entries(fields).map(([key, target]) => ({ id: nextRuleId++, key, target }));

export function LeadFormsCard({ leadsOn }: { leadsOn: boolean }) {
  const report = useLoad(forms.get);
  const data = report.data;
  const plugins = data ? Object.entries(data.plugins) : [];
  const noneActive = data !== null && plugins.every(([slug, p]) => !!data.fixed_fields?.[slug] || !p.active);

  return (
    <TitledCard className="layersync-lead-forms" title={__('Lead forms', 'layersync')}>
      <p className="layersync-hint">
        {__('When a visitor sends a form, LayerSync records a lead with the fields that identify the person (email, phone, name), hashed before they leave WordPress. Choose per form plugin what is recorded.', 'layersync')}
      </p>
      {!leadsOn && (
        <Notice status="warning" isDismissible={false} className="layersync-notice">
          {__('Form submissions are switched off under “Events to track”: no lead is recorded, whatever is set here.', 'layersync')}
        </Notice>
      )}
      {report.error && <LoadError message={report.error} retry={report.reload} />}
      {!report.error && !data && <Loading />}
      {noneActive && (
        <p className="layersync-empty">
          {__('No supported form plugin is active. Install and activate Contact Form 7, WPForms, Ninja Forms or Formidable Forms: LayerSync records their submissions on its own, with the settings below.', 'layersync')}
        </p>
      )}
      {data && (
        <Panel className="layersync-form-plugins">
          {plugins.map(([slug, plugin]) => (
            <FormPluginPanel key={slug} slug={slug} plugin={plugin} report={data} onSaved={report.setData} />
          ))}
        </Panel>
      )}
    </TitledCard>
  );
}

function FormPluginPanel({ slug, plugin, report, onSaved }: { slug: string; plugin: FormPluginSettings; report: FormsReport; onSaved: (r: FormsReport) => void }) {
  const fixed = report.fixed_fields?.[slug];
  const title = sprintf(
    /* translators: 1: form plugin name, 2: "active" or "not active" */
    __('%1$s — %2$s', 'layersync'),
    plugin.name,
    plugin.active ? __('active', 'layersync') : __('not active', 'layersync'),
  );
  return (
    <PanelBody title={title} initialOpen={plugin.active} className={`layersync-form-plugin layersync-form-plugin--${slug}`}>
      {!plugin.active && (
        <p className="layersync-hint">
          {sprintf(/* translators: %s: form plugin name */ __('%s is not active on this site. These settings apply as soon as it is.', 'layersync'), plugin.name)}
        </p>
      )}
      {fixed ? <FixedFieldsForm slug={slug} plugin={plugin} fixed={fixed} onSaved={onSaved} /> : <RulesForm slug={slug} plugin={plugin} targets={report.targets} onSaved={onSaved} />}
    </PanelBody>
  );
}

/** Save button, busy state and the notice with the server's message, shared by both forms. */
function useSave(slug: string, onSaved: (r: FormsReport) => void) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  const save = (data: Parameters<typeof forms.save>[1], done: () => void) => {
    setBusy(true);
    setStatus(null);
    forms
      .save(slug, data)
      .then((r) => {
        onSaved(r);
        done();
        setStatus({ kind: 'success', message: __('Saved. The next form sent uses these settings.', 'layersync') });
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };
  return { busy, status, setStatus, save };
}

function FixedFieldsForm({ slug, plugin, fixed, onSaved }: { slug: string; plugin: FormPluginSettings; fixed: Record<string, string[]>; onSaved: (r: FormsReport) => void }) {
  const [enabled, setEnabled] = useState<boolean | null>(null);
  const { busy, status, setStatus, save } = useSave(slug, onSaved);
  const on = enabled ?? plugin.enabled;
  const list = (keys: string[] | undefined) => (keys ?? []).map(targetLabel).join(', ');
  return (
    <div className="layersync-form-plugin__body">
      <ToggleControl
        __nextHasNoMarginBottom
        label={__('Record a sign-up when a customer creates an account', 'layersync')}
        checked={on}
        onChange={(v) => {
          setEnabled(v);
          setStatus(null);
        }}
      />
      <p>{__('The fields are fixed, so there is nothing to map:', 'layersync')}</p>
      <ul className="layersync-list">
        {fixed.sign_up && <li>{sprintf(/* translators: %s: list of fields */ __('Account creation: %s.', 'layersync'), list(fixed.sign_up))}</li>}
        {fixed.checkout && (
          <li>
            {sprintf(/* translators: %s: list of fields */ __('Orders (every event of an order, including the purchase): %s, from the billing address, else the shipping address.', 'layersync'), list(fixed.checkout))}
          </li>
        )}
      </ul>
      <StatusNotice status={status} onRemove={() => setStatus(null)} />
      <div className="layersync-actions">
        <Button variant="primary" onClick={() => save({ enabled: on }, () => setEnabled(null))} isBusy={busy} disabled={busy || enabled === null} __next40pxDefaultSize>
          {sprintf(/* translators: %s: form plugin name */ __('Save %s settings', 'layersync'), plugin.name)}
        </Button>
      </div>
    </div>
  );
}

interface RulesDraft {
  enabled: boolean;
  auto: boolean;
  rules: Rule[];
  exclude: string;
}

function RulesForm({ slug, plugin, targets, onSaved }: { slug: string; plugin: FormPluginSettings; targets: string[]; onSaved: (r: FormsReport) => void }) {
  const initial = (): RulesDraft => ({ enabled: plugin.enabled, auto: plugin.auto, rules: toRules(plugin.fields), exclude: plugin.exclude.join(', ') });
  const [draft, setDraft] = useState<RulesDraft>(initial);
  const [dirty, setDirty] = useState(false);
  const [focusRule, setFocusRule] = useState<number | null>(null);
  const { busy, status, setStatus, save } = useSave(slug, onSaved);
  const tableRef = useRef<HTMLTableElement>(null);

  // Focus handling: a new rule's field input gets focus; after a removal, the "Add" button does.
  useEffect(() => {
    if (focusRule === null) return;
    const input = tableRef.current?.querySelector<HTMLInputElement>(`[data-rule="${focusRule}"] input`);
    input?.focus();
    setFocusRule(null);
  }, [focusRule]);
  const addRef = useRef<HTMLButtonElement>(null);

  const change = (patch: Partial<RulesDraft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setDirty(true);
    setStatus(null);
  };
  const setRule = (id: number, patch: Partial<Rule>) => change({ rules: draft.rules.map((r) => (r.id === id ? { ...r, ...patch } : r)) });
  const options = targets.map((t) => ({ label: targetLabel(t), value: t }));

  const submit = () => {
    const fields: Record<string, string> = {};
    for (const rule of draft.rules) {
      const key = rule.key.trim();
      if (key === '') {
        setStatus({ kind: 'error', message: __('Enter the form field of every rule, or remove the empty rule.', 'layersync') });
        return;
      }
      if (Object.keys(fields).some((k) => k.toLowerCase() === key.toLowerCase())) {
        setStatus({ kind: 'error', message: sprintf(/* translators: %s: form field */ __('There are two rules for “%s”: keep one.', 'layersync'), key) });
        return;
      }
      fields[key] = rule.target;
    }
    const exclude = draft.exclude
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    save({ enabled: draft.enabled, auto: draft.auto, fields, exclude }, () => setDirty(false));
  };

  const noIdentity = !draft.auto && draft.rules.every((r) => r.target === 'ignore');

  return (
    <div className="layersync-form-plugin__body">
      <ToggleControl
        __nextHasNoMarginBottom
        label={__('Record a lead when one of its forms is sent', 'layersync')}
        checked={draft.enabled}
        onChange={(v) => change({ enabled: v })}
      />
      <ToggleControl
        __nextHasNoMarginBottom
        label={__('Find email, phone and name fields automatically', 'layersync')}
        help={__('Uses each field’s type (email, phone) and names such as “email”, “phone”, “first name”, “last name” or “name”. Rules below take precedence.', 'layersync')}
        checked={draft.auto}
        onChange={(v) => change({ auto: v })}
      />
      <h4 className="layersync-subtitle">{__('Field rules', 'layersync')}</h4>
      {draft.rules.length === 0 ? (
        <p className="layersync-empty">
          {draft.auto
            ? __('No rules: automatic detection decides. Add a rule when a field is missed (e.g. a field called “Work contact”) or wrongly used.', 'layersync')
            : __('No rules. Add one for each field that identifies the person, for example its email field.', 'layersync')}
        </p>
      ) : (
        <table className="widefat striped layersync-table layersync-rules" ref={tableRef}>
          <thead>
            <tr>
              <th scope="col">{__('Form field (its name, its label, or type:… for a field type)', 'layersync')}</th>
              <th scope="col">{__('Used as', 'layersync')}</th>
              <th scope="col">
                <span className="screen-reader-text">{__('Actions', 'layersync')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {draft.rules.map((rule, i) => (
              <tr key={rule.id} data-rule={rule.id}>
                <td>
                  <TextControl
                    __next40pxDefaultSize
                    __nextHasNoMarginBottom
                    label={sprintf(/* translators: %d: rule number */ __('Form field of rule %d', 'layersync'), i + 1)}
                    hideLabelFromVision
                    placeholder={__('e.g. your-email', 'layersync')}
                    value={rule.key}
                    onChange={(v) => setRule(rule.id, { key: v })}
                  />
                </td>
                <td>
                  <SelectControl
                    __next40pxDefaultSize
                    __nextHasNoMarginBottom
                    label={sprintf(/* translators: %d: rule number */ __('Use of rule %d', 'layersync'), i + 1)}
                    hideLabelFromVision
                    value={rule.target}
                    options={options}
                    onChange={(v: string) => setRule(rule.id, { target: v })}
                  />
                </td>
                <td>
                  <Button
                    variant="tertiary"
                    isDestructive
                    label={sprintf(/* translators: %s: form field or rule number */ __('Remove the rule for %s', 'layersync'), rule.key.trim() || String(i + 1))}
                    onClick={() => {
                      change({ rules: draft.rules.filter((r) => r.id !== rule.id) });
                      addRef.current?.focus();
                    }}
                    __next40pxDefaultSize
                  >
                    {__('Remove', 'layersync')}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="layersync-actions">
        <Button
          ref={addRef}
          variant="secondary"
          onClick={() => {
            const rule = { id: nextRuleId++, key: '', target: 'em' };
            change({ rules: [...draft.rules, rule] });
            setFocusRule(rule.id);
          }}
          __next40pxDefaultSize
        >
          {__('Add a field rule', 'layersync')}
        </Button>
      </div>
      {noIdentity && (
        <Notice status="warning" isDismissible={false} className="layersync-notice">
          {__('Automatic detection is off and no rule names a field: leads are recorded without email, phone or name, so platforms can rarely match them.', 'layersync')}
        </Notice>
      )}
      <TextControl
        __next40pxDefaultSize
        __nextHasNoMarginBottom
        label={__('Forms to leave out (form ids, separated by commas)', 'layersync')}
        help={__('For forms that are not leads, such as a search or newsletter form. A form’s id is the number in the address of its edit screen (post=…, form_id=… or id=…).', 'layersync')}
        value={draft.exclude}
        onChange={(v) => change({ exclude: v })}
      />
      <StatusNotice status={status} onRemove={() => setStatus(null)} />
      <div className="layersync-actions">
        <Button variant="primary" onClick={submit} isBusy={busy} disabled={busy || !dirty} __next40pxDefaultSize>
          {sprintf(/* translators: %s: form plugin name */ __('Save %s settings', 'layersync'), plugin.name)}
        </Button>
        {dirty && !busy && (
          <Button
            variant="tertiary"
            onClick={() => {
              setDraft(initial());
              setDirty(false);
              setStatus(null);
            }}
            __next40pxDefaultSize
          >
            {__('Undo changes', 'layersync')}
          </Button>
        )}
      </div>
    </div>
  );
}
