/**
 * Queue: this site's outbox (events waiting in WordPress for the relay), filtered by status,
 * priority and event, a page at a time, with retry, delete and a CSV export (cells neutralized
 * by the server).
 */
import { Button, CheckboxControl, SelectControl, TextControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { errorMessage, outbox } from '../api';
import { LoadError, Loading, ScreenHeading, type Status, StatusNotice, useLoad } from '../ui/common';

declare global {
  interface Window {
    LayerSyncAdminConfig?: { restRoot: string; nonce: string };
  }
}

const STATUSES = ['', 'pending', 'sending', 'failed', 'delivered'];
const PRIORITIES = ['', '0', '10', '20', '30', '40', '50'];

export function QueueScreen() {
  const [filters, setFilters] = useState({ status: '', priority: '', event: '' });
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<number[]>([]);
  const [status, setStatus] = useState<Status>(null);
  const [busy, setBusy] = useState(false);
  const list = useLoad(() => outbox.list({ ...filters, page }), [filters.status, filters.priority, filters.event, page]);

  const act = (what: 'retry' | 'delete') => {
    setBusy(true);
    setStatus(null);
    (what === 'retry'
      ? outbox.retry(selected).then((r) => sprintf(/* translators: 1: retried, 2: skipped */ __('%1$d queued for another try, %2$d skipped (already sent or being sent).', 'layersync'), r.retried.length, r.skipped.length))
      : outbox.remove(selected).then((r) => sprintf(/* translators: %d: rows */ __('%d removed.', 'layersync'), r.deleted))
    )
      .then((message) => {
        setStatus({ kind: 'success', message });
        setSelected([]);
        list.reload();
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(false));
  };

  const cfg = window.LayerSyncAdminConfig;
  const csvParams = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
  if (cfg) csvParams.set('_wpnonce', cfg.nonce);
  const csvBase = cfg ? `${cfg.restRoot}layersync/v1/admin/outbox/export.csv` : '';
  const csvUrl = csvBase ? `${csvBase}${csvBase.includes('?') ? '&' : '?'}${csvParams.toString()}` : '';
  const setFilter = (k: keyof typeof filters) => (v: string) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setPage(1);
  };

  return (
    <div className="layersync-screen layersync-queue">
      <ScreenHeading title={__('Queue', 'layersync')} intro={__('Events stored in WordPress until the relay has them. They are sent in the background and retried automatically.', 'layersync')} />
      <div className="layersync-filters">
        <SelectControl __next40pxDefaultSize __nextHasNoMarginBottom label={__('Status', 'layersync')} value={filters.status} options={STATUSES.map((s) => ({ label: s || __('All', 'layersync'), value: s }))} onChange={setFilter('status')} />
        <SelectControl __next40pxDefaultSize __nextHasNoMarginBottom label={__('Priority', 'layersync')} value={filters.priority} options={PRIORITIES.map((s) => ({ label: s || __('All', 'layersync'), value: s }))} onChange={setFilter('priority')} />
        <TextControl __next40pxDefaultSize __nextHasNoMarginBottom label={__('Event name', 'layersync')} value={filters.event} onChange={setFilter('event')} />
      </div>
      <StatusNotice status={status} onRemove={() => setStatus(null)} />
      <div className="layersync-actions">
        <Button variant="secondary" disabled={busy || selected.length === 0} onClick={() => act('retry')} __next40pxDefaultSize>
          {__('Retry selected', 'layersync')}
        </Button>
        <Button variant="secondary" isDestructive disabled={busy || selected.length === 0} onClick={() => act('delete')} __next40pxDefaultSize>
          {__('Delete selected', 'layersync')}
        </Button>
        <Button variant="tertiary" href={csvUrl} download __next40pxDefaultSize>
          {__('Export CSV', 'layersync')}
        </Button>
      </div>
      {list.error && <LoadError message={list.error} retry={list.reload} />}
      {!list.error && !list.data && <Loading />}
      {list.data?.items.length === 0 && <p className="layersync-empty">{__('The queue is empty: every event reached the relay. Nothing to do.', 'layersync')}</p>}
      {list.data && list.data.items.length > 0 && (
        <table className="widefat striped layersync-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="screen-reader-text">{__('Select', 'layersync')}</span>
              </th>
              <th scope="col">{__('Event', 'layersync')}</th>
              <th scope="col">{__('Status', 'layersync')}</th>
              <th scope="col">{__('Priority', 'layersync')}</th>
              <th scope="col">{__('Attempts', 'layersync')}</th>
              <th scope="col">{__('Last error', 'layersync')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <CheckboxControl
                    __nextHasNoMarginBottom
                    aria-label={sprintf(/* translators: %s: event id */ __('Select %s', 'layersync'), r.event_id)}
                    checked={selected.includes(r.id)}
                    onChange={(on) => setSelected((s) => (on ? [...s, r.id] : s.filter((x) => x !== r.id)))}
                  />
                </td>
                <td>{r.event_name}</td>
                <td>{r.status}</td>
                <td>{r.priority}</td>
                <td>{r.attempts}</td>
                <td>{r.last_error ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && list.data.total_pages > 1 && (
        <div className="layersync-actions">
          <Button variant="secondary" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
            {__('Previous page', 'layersync')}
          </Button>
          <span>{sprintf(/* translators: 1: page, 2: pages */ __('Page %1$d of %2$d', 'layersync'), page, list.data.total_pages)}</span>
          <Button variant="secondary" disabled={page >= list.data.total_pages} onClick={() => setPage((p) => p + 1)}>
            {__('Next page', 'layersync')}
          </Button>
        </div>
      )}
    </div>
  );
}
