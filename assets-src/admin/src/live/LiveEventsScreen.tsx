/**
 * Live Events: the relay's recent events for this site, refreshed every few seconds, with the
 * source (browser, server, or merged from both) and the status per platform; one event opens
 * its payload per platform (hashed identifiers only) and the platform's last answer.
 */
import { Button, ToggleControl } from '@wordpress/components';
import { useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { type RelayEvent, relay } from '../api';
import { LoadError, Loading, ScreenHeading, TitledCard, useLoad } from '../ui/common';

const POLL_MS = 4000;

/** browser / server / merged (a second copy from the other source was merged in). */
export function sourceOf(e: RelayEvent): string {
  return e.decisions.some((d) => d.action === 'merged') ? 'merged' : e.source;
}

export function LiveEventsScreen() {
  const [auto, setAuto] = useState(true);
  const events = useLoad(() => relay.events({ limit: 30 }).then((r) => r.events));
  const [openId, setOpenId] = useState<string | null>(null);
  useEffect(() => {
    if (!auto) return undefined;
    const t = window.setInterval(events.reload, POLL_MS);
    return () => window.clearInterval(t);
  }, [auto]); // reload only bumps a counter, so the interval needs no other dependency

  return (
    <div className="layersync-screen layersync-live">
      <ScreenHeading title={__('Live Events', 'layersync')} intro={__('Events the relay received from this site, newest first, and what happened at each platform.', 'layersync')} />
      <ToggleControl __nextHasNoMarginBottom label={__('Refresh automatically every few seconds', 'layersync')} checked={auto} onChange={setAuto} />
      {events.error && <LoadError message={events.error} retry={events.reload} />}
      {!events.error && !events.data && <Loading />}
      {events.data?.length === 0 && (
        <p className="layersync-empty">{__('No events yet. Visit your shop or submit a form, or send a test event from Platforms; events appear here within seconds.', 'layersync')}</p>
      )}
      {events.data && events.data.length > 0 && (
        <table className="widefat striped layersync-table">
          <thead>
            <tr>
              <th scope="col">{__('Event', 'layersync')}</th>
              <th scope="col">{__('Received', 'layersync')}</th>
              <th scope="col">{__('Source', 'layersync')}</th>
              <th scope="col">{__('Platforms', 'layersync')}</th>
              <th scope="col">
                <span className="screen-reader-text">{__('Details', 'layersync')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {events.data.map((e) => (
              <tr key={e.event_id} className="layersync-live__row" data-event-id={e.event_id}>
                <td>{e.event_name}</td>
                <td>{new Date(e.received_at).toLocaleString()}</td>
                <td>{sourceOf(e)}</td>
                <td>
                  {e.deliveries.length === 0
                    ? __('no platform', 'layersync')
                    : e.deliveries.map((d) => (
                        <span key={d.id} className={`layersync-badge layersync-badge--${d.status}`}>
                          {`${d.destination}: ${d.status}`}
                        </span>
                      ))}
                </td>
                <td>
                  <Button variant="link" onClick={() => setOpenId(openId === e.event_id ? null : e.event_id)} aria-expanded={openId === e.event_id}>
                    {openId === e.event_id ? __('Hide', 'layersync') : __('Details', 'layersync')}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {openId && <EventDetail eventId={openId} />}
    </div>
  );
}

function EventDetail({ eventId }: { eventId: string }) {
  const ev = useLoad(() => relay.event(eventId), [eventId]);
  if (ev.error) return <LoadError message={ev.error} retry={ev.reload} />;
  if (!ev.data) return <Loading />;
  return (
    <TitledCard className="layersync-event-detail" title={sprintf(/* translators: 1: event name, 2: event id */ __('%1$s (%2$s)', 'layersync'), ev.data.event_name, ev.data.event_id)}>
      {ev.data.decisions.map((d, i) => (
        <p key={i}>{d.reason}</p>
      ))}
      {ev.data.deliveries.map((d) => (
        <div key={d.id} className="layersync-event-detail__delivery">
          <h4>{`${d.destination} — ${d.status}`}</h4>
          <p>
            {sprintf(
              /* translators: 1: attempts, 2: HTTP status, 3: platform event name */
              __('Attempts: %1$d · last HTTP status: %2$s · sent as: %3$s', 'layersync'),
              d.attempts,
              d.last_status === null ? '—' : String(d.last_status),
              d.platform_event_name ?? '—',
            )}
          </p>
          {d.last_error && <p className="layersync-error-text">{d.last_error}</p>}
          <pre className="layersync-payload">{d.payload === null || d.payload === undefined ? __('(no payload yet)', 'layersync') : JSON.stringify(d.payload, null, 2)}</pre>
        </div>
      ))}
    </TitledCard>
  );
}
