/**
 * Deliveries: success rate and latency per platform over time (inline SVG charts), and the dead
 * letters with a Replay button, enabled only while the platform still accepts the event.
 */
import { Button, SelectControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { type DeliveryView, errorMessage, relay } from '../api';
import { useRelayStore } from '../store';
import { LoadError, Loading, ScreenHeading, type Status, StatusNotice, TitledCard, useLoad } from '../ui/common';
import { LineChart } from './Chart';

/** Replays need 5 minutes to spare before the platform's limit (as the relay checks). */
const MARGIN_S = 300;

const PERIODS = (): Array<{ label: string; value: string }> => [
  { label: __('Last hour', 'layersync'), value: '1h' },
  { label: __('Last 24 hours', 'layersync'), value: '24h' },
  { label: __('Last 7 days', 'layersync'), value: '7d' },
  { label: __('Last 30 days', 'layersync'), value: '30d' },
];

export function replayable(d: Pick<DeliveryView, 'event_time'>, maxAgeSeconds: number | undefined, nowS = Date.now() / 1000): boolean {
  return maxAgeSeconds !== undefined && d.event_time !== undefined && nowS - d.event_time < maxAgeSeconds - MARGIN_S;
}

export function DeliveriesScreen() {
  const [since, setSince] = useState<string>('24h');
  const stats = useLoad(() => relay.stats(since), [since]);
  const dead = useLoad(relay.deadLetters);
  const { types } = useRelayStore();
  const [status, setStatus] = useState<Status>(null);
  const [busy, setBusy] = useState<number | null>(null);

  const replay = (d: DeliveryView) => {
    setBusy(d.id);
    setStatus(null);
    relay
      .replay({ event_id: d.event_id, destination_id: d.destination_id })
      .then((r) => {
        setStatus({ kind: r.warnings.length ? 'warning' : 'success', message: [__('Sent again.', 'layersync'), ...r.warnings].join(' ') });
        dead.reload();
      })
      .catch((e: unknown) => setStatus({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusy(null));
  };

  return (
    <div className="layersync-screen layersync-deliveries">
      <ScreenHeading title={__('Deliveries', 'layersync')} intro={__('How reliably and how fast each platform accepts your events.', 'layersync')} />
      <SelectControl
        __next40pxDefaultSize
        __nextHasNoMarginBottom
        label={__('Period', 'layersync')}
        value={since}
        options={PERIODS()}
        onChange={(v: string) => setSince(v)}
      />
      {stats.error && <LoadError message={stats.error} retry={stats.reload} />}
      {!stats.error && !stats.data && <Loading />}
      {stats.data?.length === 0 && <p className="layersync-empty">{__('No platform is connected yet. Enable one on the Platforms tab.', 'layersync')}</p>}
      <div className="layersync-stats">
        {stats.data?.map((s) => {
          const rate = s.buckets.map((b) => {
            const settled = (b.counts.delivered ?? 0) + (b.counts.failed ?? 0) + (b.counts.dead ?? 0);
            return settled === 0 ? null : (b.counts.delivered ?? 0) / settled;
          });
          return (
            <TitledCard key={s.destination_id} className="layersync-stat" title={types?.find((t) => t.slug === s.destination)?.label ?? s.destination}>
              <p>
                {sprintf(
                  /* translators: 1: success rate, 2: median latency, 3: p95 latency, 4: deliveries */
                  __('Success %1$s · latency p50 %2$s ms, p95 %3$s ms · %4$d deliveries', 'layersync'),
                  s.success_rate === null ? '—' : `${Math.round(s.success_rate * 100)}%`,
                  s.latency_ms.p50 ?? '—',
                  s.latency_ms.p95 ?? '—',
                  s.total,
                )}
              </p>
              <LineChart values={rate} max={1} label={__('Success rate over time', 'layersync')} />
            </TitledCard>
          );
        })}
      </div>
      <h3>{__('Dead letters', 'layersync')}</h3>
      <StatusNotice status={status} onRemove={() => setStatus(null)} />
      {dead.error && <LoadError message={dead.error} retry={dead.reload} />}
      {dead.data?.length === 0 && <p className="layersync-empty">{__('No failed deliveries. Nothing to do.', 'layersync')}</p>}
      {dead.data && dead.data.length > 0 && (
        <table className="widefat striped layersync-table">
          <thead>
            <tr>
              <th scope="col">{__('Event', 'layersync')}</th>
              <th scope="col">{__('Platform', 'layersync')}</th>
              <th scope="col">{__('Status', 'layersync')}</th>
              <th scope="col">{__('Platform answer', 'layersync')}</th>
              <th scope="col">{__('Action', 'layersync')}</th>
            </tr>
          </thead>
          <tbody>
            {dead.data.map((d) => {
              const ok = replayable(d, types?.find((t) => t.slug === d.destination)?.max_event_age_seconds);
              return (
                <tr key={d.id} data-event-id={d.event_id}>
                  <td>{d.event_name}</td>
                  <td>{d.destination}</td>
                  <td>{d.status}</td>
                  <td>{d.last_error ?? '—'}</td>
                  <td>
                    <Button variant="secondary" disabled={!ok || busy !== null} isBusy={busy === d.id} onClick={() => replay(d)} __next40pxDefaultSize>
                      {__('Replay', 'layersync')}
                    </Button>
                    {!ok && <span className="layersync-hint">{__('Too old: the platform no longer accepts it.', 'layersync')}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
