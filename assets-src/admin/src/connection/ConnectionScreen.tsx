/**
 * Connection: where the relay lives, which site this is, and the shared signing secret; plus a
 * live test of the saved settings. Every action shows its progress, its success and the
 * server's own error message.
 */
import { Button, Card, CardBody, CardFooter, CardHeader, Notice, Spinner, TextControl } from '@wordpress/components';
import { useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import {
  type ConnectionSettings,
  type ConnectionSettingsUpdate,
  type ConnectionTestResult,
  errorMessage,
  getSettings,
  saveSettings,
  testConnection,
} from '../api';

type Status = { kind: 'success' | 'error'; message: string } | null;

interface Form {
  relay_url: string;
  site_id: string;
  secret: string;
}

const toForm = (s: ConnectionSettings): Form => ({ relay_url: s.relay_url, site_id: s.site_id, secret: '' });

export function ConnectionScreen() {
  const [saved, setSaved] = useState<ConnectionSettings | null>(null);
  const [form, setForm] = useState<Form>({ relay_url: '', site_id: '', secret: '' });
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveStatus, setSaveStatus] = useState<Status>(null);
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<ConnectionTestResult | null>(null);
  const [testError, setTestError] = useState<string | null>(null);

  const load = () => {
    setLoadError(null);
    getSettings()
      .then((settings) => {
        setSaved(settings);
        setForm(toForm(settings));
      })
      .catch((e: unknown) => setLoadError(errorMessage(e)));
  };
  useEffect(load, []);

  if (!saved) {
    return (
      <Card className="layersync-connection">
        <CardBody>
          {loadError ? (
            <Notice status="error" isDismissible={false} className="layersync-notice">
              <p>{sprintf(/* translators: %s: error message from the server */ __('Could not load the settings: %s', 'layersync'), loadError)}</p>
              <Button variant="secondary" onClick={load}>
                {__('Try again', 'layersync')}
              </Button>
            </Notice>
          ) : (
            <p className="layersync-loading">
              <Spinner /> {__('Loading settings…', 'layersync')}
            </p>
          )}
        </CardBody>
      </Card>
    );
  }

  const dirty = form.relay_url !== saved.relay_url || form.site_id !== saved.site_id || form.secret !== '';
  const update = (field: keyof Form) => (value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    setSaveStatus(null);
  };

  const onSave = (event: { preventDefault(): void }) => {
    event.preventDefault();
    const data: ConnectionSettingsUpdate = { relay_url: form.relay_url.trim(), site_id: form.site_id.trim() };
    if (form.secret !== '') data.secret = form.secret; // empty means "keep the stored secret"
    setSaving(true);
    setSaveStatus(null);
    saveSettings(data)
      .then((settings) => {
        setSaved(settings);
        setForm(toForm(settings));
        setTestResult(null);
        setSaveStatus({ kind: 'success', message: __('Settings saved.', 'layersync') });
      })
      .catch((e: unknown) => setSaveStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setSaving(false));
  };

  const onTest = () => {
    setTesting(true);
    setTestResult(null);
    setTestError(null);
    testConnection()
      .then(setTestResult)
      .catch((e: unknown) => setTestError(errorMessage(e)))
      .finally(() => setTesting(false));
  };

  const secretHelp = saved.secret_set
    ? sprintf(
        /* translators: %s: masked secret, e.g. ••••3f9a */
        __('A secret is saved (%s). Leave this empty to keep it; type a new one to replace it.', 'layersync'),
        saved.secret_hint,
      )
    : __('The signing secret your relay generated for this site. It is stored on the server and never shown again.', 'layersync');

  return (
    <Card className="layersync-connection">
      <CardHeader>
        <h2 className="layersync-card-title">{__('Relay connection', 'layersync')}</h2>
      </CardHeader>
      <form onSubmit={onSave}>
        <CardBody className="layersync-connection__fields">
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__('Relay URL', 'layersync')}
            help={__('The HTTPS address of your LayerSync relay, e.g. https://relay.example.com', 'layersync')}
            type="url"
            value={form.relay_url}
            onChange={update('relay_url')}
            autoComplete="off"
            required
          />
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__('Site ID', 'layersync')}
            help={__('The id this site has on the relay.', 'layersync')}
            value={form.site_id}
            onChange={update('site_id')}
            autoComplete="off"
            required
          />
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__('Signing secret', 'layersync')}
            help={secretHelp}
            type="password"
            value={form.secret}
            placeholder={saved.secret_set ? saved.secret_hint : ''}
            onChange={update('secret')}
            autoComplete="new-password"
          />
          {saveStatus && (
            <Notice status={saveStatus.kind} onRemove={() => setSaveStatus(null)} className="layersync-notice">
              {saveStatus.message}
            </Notice>
          )}
        </CardBody>
        <CardFooter>
          <div className="layersync-connection__actions">
            <Button variant="primary" type="submit" isBusy={saving} disabled={saving || !dirty} __next40pxDefaultSize>
              {saving ? __('Saving…', 'layersync') : __('Save settings', 'layersync')}
            </Button>
            <Button variant="secondary" onClick={onTest} isBusy={testing} disabled={testing || dirty || !saved.relay_url} __next40pxDefaultSize>
              {testing ? __('Testing…', 'layersync') : __('Test connection', 'layersync')}
            </Button>
            {testing && <Spinner />}
            {dirty && <span className="layersync-hint">{__('Save your changes before testing them.', 'layersync')}</span>}
          </div>
        </CardFooter>
      </form>
      {(testResult || testError) && (
        <CardBody>
          {testResult ? (
            <Notice status={testResult.ok ? 'success' : 'error'} onRemove={() => setTestResult(null)} className="layersync-notice">
              <p>{testResult.message}</p>
              {!testResult.ok && testResult.diagnosis && (
                <p className="layersync-diagnosis">
                  {sprintf(/* translators: %s: machine-readable diagnosis code */ __('Diagnosis: %s', 'layersync'), testResult.diagnosis)}
                </p>
              )}
            </Notice>
          ) : (
            <Notice status="error" onRemove={() => setTestError(null)} className="layersync-notice">
              {sprintf(/* translators: %s: error message from the server */ __('The test could not run: %s', 'layersync'), testError)}
            </Notice>
          )}
        </CardBody>
      )}
    </Card>
  );
}
