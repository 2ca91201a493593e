/**
 * Ingest benchmark: the relay's POST /v1/events against a bare fastify 202 route measured in the
 * same run, same machine, same load tool and settings. Run through bench/ingest.sh (which
 * installs wrk and builds the relay); see bench/README.md.
 *
 * Scenarios, each with wrk (-c50) in its own process against a server in its own process:
 *   bare   single   1 event per request
 *   bare   batch    50 events per request
 *   checks single   1 event per request: the relay's HMAC and IngestProcessor, no storage (info)
 *   checks batch    50 events per request
 *   relay  single   1 event per request, signed, unique request id, UUIDv7 event id
 *   relay  batch    50 events per request
 * Every request is pre-signed with its own request id (the relay refuses replays), written to a
 * file per wrk thread and replayed once by bench/lib/signed-post.lua. A run ends when every
 * pre-generated request has been answered or after BENCH_MAX_SECONDS, whichever comes first.
 *
 * Durability check: after the relay runs, the relay is killed with SIGKILL (no graceful flush)
 * and the rows in its SQLite file are counted per site: they must equal the events the relay
 * acknowledged with a 202.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import {
  BENCH_DIR,
  FAKE_META_PIXEL_ID,
  FAKE_META_TOKEN,
  cpuSeconds,
  machineBusySeconds,
  fmt,
  freePort,
  makeEvent,
  niced,
  openDb,
  relayCli,
  relayLib,
  rssMiB,
  startChild,
  startRelay,
  stopChild,
  table,
  waitForHttp,
} from './lib/common.mjs';

const env = process.env;
const num = (name, d) => (env[name] === undefined || env[name] === '' ? d : Number(env[name]));
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const THREADS = num('BENCH_WRK_THREADS', 2);
const MAX_SECONDS = num('BENCH_MAX_SECONDS', 12);
const SINGLE_REQUESTS = num('BENCH_SINGLE_REQUESTS', 100_000);
const BATCH_SIZE = num('BENCH_BATCH_SIZE', 50);
const BATCH_REQUESTS = num('BENCH_BATCH_REQUESTS', 7_000);
const WARMUP_REQUESTS = num('BENCH_WARMUP_REQUESTS', 15_000);
// The relay as shipped logs at info (two lines per request); BENCH_LOG_LEVEL=warn shows the cost.
const LOG_LEVEL = env.BENCH_LOG_LEVEL || 'info';
// 1: every site also has a dry-run Meta destination, so the delivery worker runs during ingest.
const DRY_RUN = env.BENCH_DRY_RUN === '1';
const KEEP = env.BENCH_KEEP === '1';
// Node flags for the bare and checks servers, e.g. "--cpu-prof --cpu-prof-dir=DIR" (the relay's: BENCH_RELAY_NODE_ARGS).
const REF_NODE_ARGS = (env.BENCH_REF_NODE_ARGS || '').split(' ').filter(Boolean);
const EVENT_KIND = env.BENCH_EVENT || 'add_to_cart';
// v7 (default): time-ordered request ids, as the plugin and the SDK send them; v4: random
// ones, as any other client may (they scatter the replay-protection index's writes).
const REQUEST_IDS = env.BENCH_REQUEST_ID || 'v7';
// bare,checks,relay (default) or some of them.
const ONLY = new Set((env.BENCH_ONLY || 'bare,checks,relay').split(','));

// The per-site rate limit (default 2,000 events/s) would answer 429 to a load test from one
// site; a merge window would only delay deliveries. Ingest itself is what is measured.
const RELAY_ENV = { LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND: '0', LAYERSYNC_MERGE_WINDOW_SECONDS: '0' };

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 10;
const TARGET_BATCH_EVENTS = 50_000;

const SECRET = 'b'.repeat(64);
const work = mkdtempSync(path.join(tmpdir(), 'layersync-bench-ingest-'));
const log = (s) => process.stderr.write(`[bench] ${s}\n`);

/** Writes `n` signed requests of `batch` events for `site`, split round-robin over the wrk threads. */
async function generate(name, site, n, batch) {
  const { computeSignature, uuidv7 } = await relayLib();
  const prefix = path.join(work, name);
  const outs = Array.from({ length: THREADS }, (_, t) => createWriteStream(`${prefix}.${t}.tsv`));
  const nowS = Math.floor(Date.now() / 1000);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const events = [];
    for (let j = 0; j < batch; j++) events.push(makeEvent(uuidv7(), nowS, i * batch + j, EVENT_KIND));
    const body = JSON.stringify({ events });
    const requestId = REQUEST_IDS === 'v4' ? randomUUID() : uuidv7();
    const sig = computeSignature(SECRET, requestId, nowS, Buffer.from(body)).toString('hex');
    bytes += body.length;
    const out = outs[i % THREADS];
    if (!out.write(`${requestId}\t${nowS}\t${sig}\t${body}\n`)) await once(out, 'drain');
  }
  await Promise.all(outs.map((o) => new Promise((r) => o.end(r))));
  return { prefix, site, requests: n, events: n * batch, avgBodyBytes: Math.round(bytes / n) };
}

/** One wrk run; resolves to the WRK_RESULT figures. */
async function runWrk(url, gen) {
  const args = [
    `-t${THREADS}`,
    `-c${CONNECTIONS}`,
    `-d${MAX_SECONDS + 15}s`,
    '--timeout',
    '10s',
    '-s',
    path.join(BENCH_DIR, 'lib', 'signed-post.lua'),
    url,
    '--',
    gen.prefix,
    gen.site,
    String(MAX_SECONDS),
  ];
  const wrk = spawn(...niced('wrk', args), { stdio: ['ignore', 'pipe', 'pipe'] });
  let wrkCpu = 0;
  const sampler = setInterval(() => (wrkCpu = cpuSeconds(wrk.pid) ?? wrkCpu), 200);
  let exhausted = 0;
  let result;
  let buf = '';
  let errText = '';
  wrk.stderr.on('data', (d) => (errText += d));
  wrk.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('EXHAUSTED') && ++exhausted === THREADS) {
        wrkCpu = cpuSeconds(wrk.pid) ?? wrkCpu;
        wrk.kill('SIGINT');
      }
      if (line.startsWith('WRK_RESULT ')) result = JSON.parse(line.slice('WRK_RESULT '.length));
    }
  });
  const [code] = await once(wrk, 'exit');
  clearInterval(sampler);
  if (!result) throw new Error(`wrk failed (exit ${code}): ${errText}`);
  result.seconds = result.window_us / 1e6;
  result.reqPerS = result.answered / result.seconds;
  result.eventsPerS = result.accepted / result.seconds;
  result.p99ms = result.p99_us / 1000;
  result.p50ms = result.p50_us / 1000;
  result.complete = result.sent === result.total;
  result.wrkCpu = wrkCpu;
  return result;
}

/**
 * Runs a scenario against a server process. Besides wrk's figures it records the server's CPU
 * use over the measured window and how much CPU other processes on the machine used meanwhile
 * (the bench shares 2 cores with whatever else runs: a busy neighbour shows up here).
 */
async function scenario(label, url, pid, gen) {
  const cpu0 = cpuSeconds(pid) ?? 0;
  const busy0 = machineBusySeconds();
  const t0 = Date.now();
  const r = await runWrk(url, gen);
  const wall = (Date.now() - t0) / 1000;
  const serverCpu = (cpuSeconds(pid) ?? 0) - cpu0;
  r.cpuPct = (serverCpu / r.seconds) * 100;
  // CPU per event is much less sensitive to a busy machine than throughput is.
  r.cpuUsPerEvent = (serverCpu * 1e6) / Math.max(1, r.accepted);
  r.otherPct = Math.max(0, ((machineBusySeconds() - busy0 - serverCpu - r.wrkCpu) / wall) * 100);
  r.wrkPct = (r.wrkCpu / wall) * 100;
  r.rss = rssMiB(pid);
  log(
    `${label}: ${fmt(r.answered)}/${fmt(r.total)} answered in ${fmt(r.seconds, 2)} s, ${fmt(r.reqPerS)} req/s, ` +
      `${fmt(r.eventsPerS)} accepted events/s, p50 ${fmt(r.p50ms, 2)} ms, p99 ${fmt(r.p99ms, 2)} ms; CPU: server ${fmt(r.cpuPct)}% (${fmt(r.cpuUsPerEvent, 1)} µs/event), ` +
      `wrk ${fmt(r.wrkPct)}%, other processes ${fmt(r.otherPct)}% (of ${cpus().length * 100}%)` +
      (r.other ? `; non-202: ${JSON.stringify(r.statuses)}` : '') +
      (r.timeouts ? `; timeouts ${r.timeouts}` : ''),
  );
  return r;
}

async function main() {
  log(`work dir ${work}; wrk -t${THREADS} -c${CONNECTIONS}, at most ${MAX_SECONDS} s per run; relay log level ${LOG_LEVEL}${DRY_RUN ? ', dry-run Meta destination' : ''}`);
  const t0 = Date.now();
  const gens = {
    warm: await generate('warm', 'bench-warm', WARMUP_REQUESTS, 1),
    single: await generate('single', 'bench-single', SINGLE_REQUESTS, 1),
    warmBatch: await generate('warm-batch', 'bench-warm', Math.max(200, Math.round(WARMUP_REQUESTS / BATCH_SIZE)), BATCH_SIZE),
    batch: await generate('batch', 'bench-batch', BATCH_REQUESTS, BATCH_SIZE),
  };
  log(`generated ${fmt(gens.single.requests + gens.batch.requests + gens.warm.requests + gens.warmBatch.requests)} signed requests in ${fmt((Date.now() - t0) / 1000, 1)} s ` +
    `(single body ${gens.single.avgBodyBytes} B, batch body ${fmt(gens.batch.avgBodyBytes)} B)`);

  const bare = ONLY.has('bare') ? await runReference('bare  ', 'bare-server.mjs', gens) : undefined;
  const checks = ONLY.has('checks') ? await runReference('checks', 'ceiling-server.mjs', gens) : undefined;
  const relay = ONLY.has('relay') ? await runRelay(gens) : undefined;
  report(gens, bare, checks, relay);
}

/**
 * A reference server in its own process: (a) the baseline, bare fastify (lib/bare-server.mjs);
 * (b) for information, the relay's signature check and processing without storage
 * (lib/ceiling-server.mjs).
 */
async function runReference(label, script, gens) {
  const port = await freePort();
  const server = startChild(process.execPath, [...REF_NODE_ARGS, path.join(BENCH_DIR, 'lib', script), '--port', String(port), '--secret', SECRET], { ready: /^listening/ });
  await server.started;
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/readyz`);
  await runWrk(url, gens.warm);
  const single = await scenario(`${label} single`, url, server.pid, gens.single);
  await runWrk(url, gens.warmBatch);
  const batch = await scenario(`${label} batch `, url, server.pid, gens.batch);
  await stopChild(server);
  return { single, batch };
}

/** (c) the relay: the built CLI, a temp DB, sites added with the CLI, then SIGKILL and a row count. */
async function runRelay(gens) {
  const dbPath = path.join(work, 'relay.sqlite');
  const cliEnv = { LAYERSYNC_DB: dbPath };
  for (const site of ['bench-warm', 'bench-single', 'bench-batch']) {
    relayCli(['sites', 'add', '--id', site, '--secret', SECRET], cliEnv);
    if (DRY_RUN) relayCli(['connect', 'meta', '--site', site, '--pixel', FAKE_META_PIXEL_ID, '--token', FAKE_META_TOKEN, '--dry-run'], cliEnv);
  }
  const relay = await startRelay({
    dbPath,
    port: await freePort(),
    env: { LAYERSYNC_LOG_LEVEL: LOG_LEVEL, ...RELAY_ENV },
    logFile: path.join(work, 'relay.log'),
  });
  await runWrk(relay.url, gens.warm);
  const single = await scenario('relay single', relay.url, relay.pid, gens.single);
  await runWrk(relay.url, gens.warmBatch);
  const batch = await scenario('relay batch ', relay.url, relay.pid, gens.batch);

  // Durability: no graceful shutdown, then count what is on disk.
  relay.child.kill(process.env.BENCH_PROFILE_STOP ? 'SIGTERM' : 'SIGKILL');
  await relay.exited;
  const db = openDb(dbPath, { readonly: false });
  const rows = Object.fromEntries(
    db.prepare('SELECT site_id, count(*) AS n FROM events GROUP BY site_id').all().map((r) => [r.site_id, r.n]),
  );
  db.close();
  const errors = readFileSync(relay.logFile, 'utf8').split('\n').filter((l) => /"level":(50|60)/.test(l));
  return { single, batch, rows, errors, logFile: relay.logFile };
}

function report(gens, bare, checks, relay) {
  const none = { otherPct: NaN, cpuUsPerEvent: NaN, answered: 0, total: 0, complete: true, seconds: NaN, reqPerS: NaN, eventsPerS: NaN, p50ms: NaN, p99ms: NaN, max_us: NaN, cpuPct: NaN, other: 0, timeouts: 0, connect_errors: 0, read_errors: 0, write_errors: 0, accepted: 0 };
  const bareSingle = bare?.single ?? none;
  const bareBatch = bare?.batch ?? none;
  const checksSingle = checks?.single ?? none;
  const checksBatch = checks?.batch ?? none;
  const relaySingle = relay?.single ?? none;
  const relayBatch = relay?.batch ?? none;
  const rows = relay?.rows ?? {};
  const ratio = relaySingle.reqPerS / bareSingle.reqPerS;
  const batchRatio = relayBatch.eventsPerS / bareBatch.eventsPerS;
  const singleRows = rows['bench-single'] ?? 0;
  const batchRows = rows['bench-batch'] ?? 0;
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const durableOk = singleRows === relaySingle.accepted && batchRows === relayBatch.accepted;

  console.log('');
  console.log(`LayerSync ingest bench — ${new Date().toISOString()} — wrk -t${THREADS} -c${CONNECTIONS}, loopback, node ${process.version}, ${cpus().length} CPUs`);
  console.log(
    `relay: log level ${LOG_LEVEL}, ${DRY_RUN ? 'one dry-run Meta destination per site' : 'no destinations'}, ` +
      `${Object.entries(RELAY_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}; ${EVENT_KIND} events of ~${gens.single.avgBodyBytes} B of JSON` +
      (process.env.BENCH_NICE ? `; bench processes at nice ${process.env.BENCH_NICE}` : ''),
  );
  console.log('');
  console.log(
    table([
      ['scenario', 'requests', 'seconds', 'req/s', 'events/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU', 'CPU µs/event', 'others CPU', 'non-202'],
      ...[
        ['bare fastify 202, 1 event/req', bareSingle],
        [`bare fastify 202, ${BATCH_SIZE} events/req`, bareBatch],
        ['checks only, no storage, 1 event/req', checksSingle],
        [`checks only, no storage, ${BATCH_SIZE} events/req`, checksBatch],
        ['relay, 1 event/req', relaySingle],
        [`relay, ${BATCH_SIZE} events/req`, relayBatch],
      ].map(([name, r]) => [
        name,
        `${fmt(r.answered)}${r.complete ? '' : ` of ${fmt(r.total)}`}`,
        fmt(r.seconds, 2),
        fmt(r.reqPerS),
        fmt(r.eventsPerS),
        fmt(r.p50ms, 2),
        fmt(r.p99ms, 2),
        fmt(r.max_us / 1000, 1),
        `${fmt(r.cpuPct)}%`,
        fmt(r.cpuUsPerEvent, 1),
        `${fmt(r.otherPct)}%`,
        String(r.other + r.timeouts + r.connect_errors + r.read_errors + r.write_errors),
      ]),
    ]),
  );
  console.log('');
  console.log(
    table([
      ['target', 'measured', 'target', 'result'],
      ['single-event req/s, relay / bare', fmt(ratio, 2), `>= ${TARGET_RATIO}`, verdict(ratio >= TARGET_RATIO)],
      ['single-event p99 latency (relay)', `${fmt(relaySingle.p99ms, 2)} ms`, `<= ${TARGET_P99_MS} ms`, verdict(relaySingle.p99ms <= TARGET_P99_MS)],
      [`${BATCH_SIZE}-event batches, committed events/s`, fmt(relayBatch.eventsPerS), `>= ${fmt(TARGET_BATCH_EVENTS)}`, verdict(relayBatch.eventsPerS >= TARGET_BATCH_EVENTS && durableOk)],
      [
        'rows on disk after SIGKILL = 202-acked events',
        `${fmt(singleRows + batchRows)} = ${fmt(relaySingle.accepted + relayBatch.accepted)}`,
        'equal',
        verdict(durableOk),
      ],
      [`(info) batch events/s, relay / bare`, fmt(batchRatio, 2), '-', '-'],
      // The relay's required checks alone (HMAC, parse, zod, planning; one thread, nothing stored).
      [`(info) single-event req/s, checks without storage / bare`, fmt(checksSingle.reqPerS / bareSingle.reqPerS, 2), '-', '-'],
      [`(info) single-event req/s, relay / checks without storage`, fmt(relaySingle.reqPerS / checksSingle.reqPerS, 2), '-', '-'],
      // Less sensitive to a busy machine: what each costs in server CPU per request.
      [`(info) single-event CPU cost, bare µs / relay µs`, fmt(bareSingle.cpuUsPerEvent / relaySingle.cpuUsPerEvent, 2), '-', '-'],
    ]),
  );
  const busiest = Math.max(...[bareSingle, bareBatch, checksSingle, checksBatch, relaySingle, relayBatch].map((r) => r.otherPct).filter(Number.isFinite));
  if (busiest > 25) {
    console.log(
      `\nWARNING: other processes on this machine used up to ${fmt(busiest)}% CPU (of ${cpus().length * 100}%) during these runs ` +
        `("others CPU"); the servers competed for the cores, so these figures understate an idle machine. Re-run when it is quiet.`,
    );
  }
  if (!relaySingle.complete || !relayBatch.complete) {
    console.log(`\nnote: a relay run hit the ${MAX_SECONDS} s bound before every request was answered; figures cover what was answered.`);
  }
  if (relay) {
    console.log(`\nrelay log: ${KEEP ? relay.logFile : '(deleted; BENCH_KEEP=1 keeps it)'}; relay RSS after the batch run ${fmt(relayBatch.rss)} MiB`);
    if (relay.errors.length > 0) console.log(`relay logged ${relay.errors.length} error lines, first: ${relay.errors[0].slice(0, 300)}`);
  }
}

try {
  await main();
} finally {
  if (!KEEP) rmSync(work, { recursive: true, force: true });
}
