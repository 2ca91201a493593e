/**
 * Paced (open-loop) load generator: sends signed POST /v1/events at a steady rate for a fixed
 * time, whatever the answers, and records for every event when it was sent and when its 202
 * came back. Requests are scheduled by the clock, not by responses, so a slow relay shows up as
 * latency instead of silently lowering the rate (no coordinated omission); how late the sender
 * itself ran is recorded too.
 *
 *   node bench/lib/load.mjs --url URL --site ID --secret S --rate EVENTS_PER_S --batch N
 *                           --seconds T --out FILE [--connections 256] [--event add_to_cart|purchase]
 *
 * Writes FILE as JSON: { ids[], sentAt[], ackAt[] (ms since epoch; ackAt 0 when not acked),
 * statuses{}, errors, requests, scheduleLagP99Ms, seconds }.
 */
import { writeFileSync } from 'node:fs';
import { makeEvent, percentile, relayLib, relayRequire } from './common.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]]] : [])),
);
const rate = Number(args.rate ?? 1000);
const batch = Number(args.batch ?? 1);
const seconds = Number(args.seconds ?? 20);
const connections = Number(args.connections ?? 256);
const kind = args.event ?? 'add_to_cart';
if (!args.url || !args.site || !args.secret || !args.out) {
  console.error('usage: load.mjs --url URL --site ID --secret S --rate N --batch N --seconds T --out FILE');
  process.exit(2);
}

const { Pool } = relayRequire('undici');
const { signRequest, uuidv7 } = await relayLib();
const origin = new URL(args.url).origin;
const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });

const requestRate = rate / batch;
const total = Math.round(requestRate * seconds);
const ids = [];
const sentAt = [];
const ackAt = [];
const statuses = {};
const lags = [];
let errors = 0;
let firstError = '';
let inflight = 0;

function send(i, scheduledMs) {
  const now = Date.now();
  lags.push(now - scheduledMs);
  const nowS = Math.floor(now / 1000);
  const first = ids.length;
  const events = [];
  for (let j = 0; j < batch; j++) {
    const id = uuidv7(now);
    ids.push(id);
    sentAt.push(now);
    ackAt.push(0);
    events.push(makeEvent(id, nowS, i * batch + j, kind));
  }
  const body = JSON.stringify({ events });
  const headers = signRequest({ siteId: args.site, secret: args.secret, body, timestamp: nowS });
  inflight++;
  return pool
    .request({ path: '/v1/events', method: 'POST', headers, body })
    .then(async (res) => {
      await res.body.text();
      const at = Date.now();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode === 202) for (let k = first; k < first + batch; k++) ackAt[k] = at;
    })
    .catch((err) => {
      errors++;
      firstError ||= String(err?.message ?? err);
    })
    .finally(() => inflight--);
}

const start = Date.now();
const pending = [];
let sent = 0;
await new Promise((resolve) => {
  const tick = () => {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * requestRate) + 1);
    while (sent < due) {
      pending.push(send(sent, start + (sent / requestRate) * 1000));
      sent++;
    }
    if (sent >= total) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
const sendSeconds = (Date.now() - start) / 1000;
// Wait for the last answers, bounded.
await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 30_000))]);
await pool.close().catch(() => undefined);

lags.sort((a, b) => a - b);
writeFileSync(
  args.out,
  JSON.stringify({
    ids,
    sentAt,
    ackAt,
    statuses,
    errors,
    firstError,
    requests: sent,
    unanswered: inflight,
    seconds: sendSeconds,
    scheduleLagP99Ms: percentile(lags, 99),
  }),
);
process.exit(0);
