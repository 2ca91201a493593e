/**
 * Delivery benchmark: the relay with Meta live against the local fake Meta (its own process),
 * fed by a paced load generator (its own process). Run through bench/delivery.sh; see
 * bench/README.md.
 *
 *   phase A  1,000 events/s for 20 s (1 event/request): end-to-end latency per event, from the
 *            moment the generator sent it (and from its 202) to its receipt at the fake Meta
 *   phase B  5,000 events/s for 20 s (5 events/request): the relay's resident memory (VmRSS),
 *            peak and steady, sampled every 200 ms; latency again for information
 *
 * Every acknowledged event must reach the fake exactly once (Meta answers all-or-nothing, so a
 * retried request never duplicates); the bench counts missing and duplicated event ids.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import {
  BENCH_DIR,
  FAKE_META_PIXEL_ID,
  FAKE_META_TOKEN,
  RELAY_DIR,
  cpuSeconds,
  fmt,
  freePort,
  machineBusySeconds,
  median,
  openDb,
  percentile,
  relayCli,
  rssMiB,
  sleep,
  startChild,
  startRelay,
  stopChild,
  table,
  waitForHttp,
} from './lib/common.mjs';

const env = process.env;
const num = (name, d) => (env[name] === undefined || env[name] === '' ? d : Number(env[name]));
const SECONDS = num('BENCH_SECONDS', 20);
// A freshly started relay compiles its hot paths and opens connections during its first second
// of load (p50 ~150 ms, max ~0.5 s then); a short warm-up keeps that out of the steady figures.
const WARMUP_SECONDS = num('BENCH_WARMUP_SECONDS', 3);
const RATE_A = num('BENCH_RATE_A', 1000);
const BATCH_A = num('BENCH_BATCH_A', 1);
const RATE_B = num('BENCH_RATE_B', 5000);
const BATCH_B = num('BENCH_BATCH_B', 5);
const LOG_LEVEL = env.BENCH_LOG_LEVEL || 'info';
// The relay's own default (1000 ms) unless overridden: ingest kicks the worker, so the interval
// only matters for retries and for rows that arrive while a drain is finishing.
const WORKER_INTERVAL_MS = env.BENCH_WORKER_INTERVAL_MS || '';
const KEEP = env.BENCH_KEEP === '1';
const SITE = 'bench';
const SECRET = 'c'.repeat(64);

const TARGET_P99_MS = 1000;
const TARGET_RSS_MB = 200;

const work = mkdtempSync(path.join(tmpdir(), 'layersync-bench-delivery-'));
const log = (s) => process.stderr.write(`[bench] ${s}\n`);
/** VmRSS (KiB-based) in decimal megabytes, the unit of the target. */
const toMB = (mib) => (mib * 1024 * 1024) / 1e6;

/** What config.ts says about the merge window at the time of the run. */
function mergeWindowNote() {
  const src = readFileSync(path.join(RELAY_DIR, 'src', 'config.ts'), 'utf8');
  if (!src.includes('LAYERSYNC_MERGE_WINDOW_SECONDS')) return 'LAYERSYNC_MERGE_WINDOW_SECONDS: not in config.ts (no merge window); set to 0 anyway';
  const m = /LAYERSYNC_MERGE_WINDOW_SECONDS\s*:\s*withDefault\([^)]*?\)\s*,\s*'([^']*)'\)/s.exec(src) ?? /LAYERSYNC_MERGE_WINDOW_SECONDS[\s\S]{0,200}?'(\d+)'/.exec(src);
  return `LAYERSYNC_MERGE_WINDOW_SECONDS=0 for this bench (config.ts default: ${m ? `${m[1]} s` : 'unknown'})`;
}

async function runPhase(name, relay, fake, db, rate, batch, rssSamples, seconds = SECONDS) {
  const out = path.join(work, `load-${name}.json`);
  const busy0 = machineBusySeconds();
  const cpu0 = cpuSeconds(relay.pid) ?? 0;
  const fakeCpu0 = cpuSeconds(fake.pid) ?? 0;
  const t0 = Date.now();
  rssSamples.mark(name, 'start');
  const load = startChild(process.execPath, [
    path.join(BENCH_DIR, 'lib', 'load.mjs'),
    '--url', relay.url, '--site', SITE, '--secret', SECRET,
    '--rate', String(rate), '--batch', String(batch), '--seconds', String(seconds), '--out', out,
  ]);
  let loadCpu = 0;
  const sampler = setInterval(() => (loadCpu = cpuSeconds(load.pid) ?? loadCpu), 100);
  const { code } = await load.exited;
  clearInterval(sampler);
  if (code !== 0) throw new Error(`load generator failed (${code}):\n${load.tail.join('\n')}`);
  rssSamples.mark(name, 'loadEnd');
  const loadSeconds = (Date.now() - t0) / 1000;
  const result = JSON.parse(readFileSync(out, 'utf8'));
  const acked = result.ackAt.filter((a) => a > 0).length;

  // Drain: wait until the relay has no open delivery rows (bounded).
  const open = db.prepare("SELECT count(*) AS n FROM deliveries WHERE status IN ('pending', 'retry')");
  const drainStart = Date.now();
  while (open.get().n > 0 && Date.now() - drainStart < 60_000) await sleep(100);
  const drainMs = Date.now() - drainStart;
  rssSamples.mark(name, 'drained');
  const relayCpu = (cpuSeconds(relay.pid) ?? 0) - cpu0;
  const wall = (Date.now() - t0) / 1000;
  const benchCpu = loadCpu + ((cpuSeconds(fake.pid) ?? 0) - fakeCpu0);
  const othersPct = Math.max(0, ((machineBusySeconds() - busy0 - relayCpu - benchCpu) / wall) * 100);
  const statusCounts = Object.fromEntries(
    db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all().map((r) => [r.status, r.n]),
  );

  // Receipts at the fake: first time each event id arrived, and how often.
  const res = await fetch(`${fake.url}/__received`);
  const received = await res.json();
  const firstAt = new Map();
  let receivedEvents = 0;
  for (const r of received) {
    for (const e of r.body?.data ?? []) {
      receivedEvents++;
      if (!firstAt.has(e.event_id)) firstAt.set(e.event_id, r.at);
    }
  }
  await fetch(`${fake.url}/__reset`, { method: 'POST' });

  const fromSend = [];
  const fromAck = [];
  const ingest = [];
  let missing = 0;
  result.ids.forEach((id, i) => {
    if (result.ackAt[i] === 0) return;
    ingest.push(result.ackAt[i] - result.sentAt[i]);
    const at = firstAt.get(id);
    if (at === undefined) {
      missing++;
      return;
    }
    fromSend.push(at - result.sentAt[i]);
    fromAck.push(at - result.ackAt[i]);
  });
  fromSend.sort((a, b) => a - b);
  fromAck.sort((a, b) => a - b);
  ingest.sort((a, b) => a - b);
  const phase = {
    name,
    rate,
    batch,
    loadSeconds,
    sent: result.ids.length,
    acked,
    statuses: result.statuses,
    loadErrors: result.errors,
    scheduleLagP99Ms: result.scheduleLagP99Ms,
    achievedRate: result.ids.length / result.seconds,
    deliveredUnique: firstAt.size,
    duplicates: receivedEvents - firstAt.size,
    metaRequests: received.length,
    missing,
    drainMs,
    statusCounts,
    relayCpuPct: (relayCpu / wall) * 100,
    benchCpuPct: (benchCpu / wall) * 100,
    othersPct,
    send: { p50: percentile(fromSend, 50), p99: percentile(fromSend, 99), max: fromSend.at(-1) },
    ack: { p50: percentile(fromAck, 50), p99: percentile(fromAck, 99), max: fromAck.at(-1) },
    ingest: { p50: percentile(ingest, 50), p99: percentile(ingest, 99), max: ingest.at(-1) },
  };
  log(
    `phase ${name}: ${fmt(phase.sent)} events sent at ${fmt(phase.achievedRate)}/s (${batch}/request), ${fmt(acked)} acked, ` +
      `${fmt(phase.deliveredUnique)} delivered in ${fmt(phase.metaRequests)} Meta requests, ${missing} missing, ${phase.duplicates} duplicates; ` +
      `send→Meta p50 ${fmt(phase.send.p50)} ms p99 ${fmt(phase.send.p99)} ms max ${fmt(phase.send.max)} ms; ` +
      `202→Meta p50 ${fmt(phase.ack.p50)} p99 ${fmt(phase.ack.p99)} ms; send→202 p50 ${fmt(phase.ingest.p50)} p99 ${fmt(phase.ingest.p99)} ms; ` +
      `sender schedule lag p99 ${fmt(phase.scheduleLagP99Ms)} ms; drained ${fmt(drainMs)} ms after the load; ` +
      `CPU: relay ${fmt(phase.relayCpuPct)}%, fake Meta + load generator ${fmt(phase.benchCpuPct)}%, other processes ${fmt(othersPct)}%; rows ${JSON.stringify(statusCounts)}`,
  );
  return phase;
}

function rssSampler(pid) {
  const samples = [];
  const marks = {};
  const timer = setInterval(() => {
    const v = rssMiB(pid);
    if (v !== undefined) samples.push({ t: Date.now(), mb: toMB(v) });
  }, 200);
  return {
    samples,
    mark(phase, what) {
      (marks[phase] ??= {})[what] = Date.now();
    },
    stop: () => clearInterval(timer),
    /** Peak over [start, drained]; steady = median over the second half of the load. */
    stats(phase) {
      const m = marks[phase];
      const during = samples.filter((s) => s.t >= m.start && s.t <= m.drained);
      const half = m.start + (m.loadEnd - m.start) / 2;
      const steady = samples.filter((s) => s.t >= half && s.t <= m.loadEnd);
      return { peak: Math.max(...during.map((s) => s.mb)), steady: median(steady.map((s) => s.mb)), n: during.length };
    },
  };
}

async function main() {
  const mergeNote = mergeWindowNote();
  log(`work dir ${work}; ${mergeNote}`);
  const dbPath = path.join(work, 'relay.sqlite');
  relayCli(['sites', 'add', '--id', SITE, '--secret', SECRET], { LAYERSYNC_DB: dbPath });
  relayCli(['connect', 'meta', '--site', SITE, '--pixel', FAKE_META_PIXEL_ID, '--token', FAKE_META_TOKEN], { LAYERSYNC_DB: dbPath });

  const fakePort = await freePort();
  const fake = startChild(
    process.execPath,
    ['--import', 'tsx', path.join(RELAY_DIR, 'test', 'fakes', 'meta-server.ts'), '--port', String(fakePort), '--tokens', FAKE_META_TOKEN, '--pixels', FAKE_META_PIXEL_ID, '--quiet'],
    { cwd: RELAY_DIR, ready: /^listening/ },
  );
  await fake.started;
  fake.url = `http://127.0.0.1:${fakePort}`;
  await waitForHttp(`${fake.url}/__requests`);

  const relayEnv = {
    LAYERSYNC_LOG_LEVEL: LOG_LEVEL,
    LAYERSYNC_META_BASE_URL: fake.url,
    LAYERSYNC_MERGE_WINDOW_SECONDS: '0',
    // One site sends 5,000 events/s here; the default per-site limit (2,000/s) would refuse most.
    LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND: '0',
    ...(WORKER_INTERVAL_MS ? { LAYERSYNC_WORKER_INTERVAL_MS: WORKER_INTERVAL_MS } : {}),
  };
  const relay = await startRelay({ dbPath, port: await freePort(), env: relayEnv, logFile: path.join(work, 'relay.log') });
  const idleRss = toMB(rssMiB(relay.pid));
  const rss = rssSampler(relay.pid);
  const db = openDb(dbPath);

  const warm = WARMUP_SECONDS > 0 ? await runPhase('warm-up', relay, fake, db, RATE_A, BATCH_A, rss, WARMUP_SECONDS) : undefined;
  const a = await runPhase('A', relay, fake, db, RATE_A, BATCH_A, rss);
  const b = await runPhase('B', relay, fake, db, RATE_B, BATCH_B, rss);
  rss.stop();
  db.close();
  const rssA = rss.stats('A');
  const rssB = rss.stats('B');
  const stop = await stopChild(relay, 'SIGTERM');
  await stopChild(fake, 'SIGTERM');
  const errors = readFileSync(relay.logFile, 'utf8').split('\n').filter((l) => /"level":(50|60)/.test(l));

  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const complete = (p) => p.missing === 0 && p.duplicates === 0 && p.acked === p.sent;
  const phases = warm ? [warm, a, b] : [a, b];
  console.log('');
  console.log(`LayerSync delivery bench — ${new Date().toISOString()} — loopback, node ${process.version}, ${cpus().length} CPUs`);
  console.log(
    `relay: Meta live → fake Meta (own process); log level ${LOG_LEVEL}; worker interval ${WORKER_INTERVAL_MS || '1000 (default)'} ms; ` +
      `LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND=0; ${mergeNote}${process.env.BENCH_NICE ? `; bench processes at nice ${process.env.BENCH_NICE}` : ''}`,
  );
  console.log('');
  console.log(
    table([
      ['phase', 'events/s', 'ev/req', 'sent', 'acked', 'delivered', 'Meta reqs', 'missing', 'dups', 'send→Meta p50', 'p99', 'max', '202→Meta p99', 'drain ms', 'relay CPU', 'others CPU'],
      ...phases.map((p) => [
        p.name,
        fmt(p.achievedRate),
        String(p.batch),
        fmt(p.sent),
        fmt(p.acked),
        fmt(p.deliveredUnique),
        fmt(p.metaRequests),
        String(p.missing),
        String(p.duplicates),
        `${fmt(p.send.p50)} ms`,
        `${fmt(p.send.p99)} ms`,
        `${fmt(p.send.max)} ms`,
        `${fmt(p.ack.p99)} ms`,
        fmt(p.drainMs),
        `${fmt(p.relayCpuPct)}%`,
        `${fmt(p.othersPct)}%`,
      ]),
    ]),
  );
  console.log('');
  if (warm) console.log(`warm-up: ${WARMUP_SECONDS} s at ${fmt(RATE_A)} events/s right after start, not counted in the targets (cold-start send→Meta max ${fmt(warm.send.max)} ms)`);
  console.log(`relay RSS: idle ${fmt(idleRss, 1)} MB; phase A peak ${fmt(rssA.peak, 1)} MB, steady ${fmt(rssA.steady, 1)} MB; phase B peak ${fmt(rssB.peak, 1)} MB, steady ${fmt(rssB.steady, 1)} MB (${rssB.n} samples)`);
  console.log('');
  console.log(
    table([
      ['target', 'measured', 'target', 'result'],
      [`end-to-end p99 at ${fmt(RATE_A)} events/s (send → fake Meta)`, `${fmt(a.send.p99)} ms`, `< ${fmt(TARGET_P99_MS)} ms`, verdict(a.send.p99 < TARGET_P99_MS)],
      [`relay peak RSS at ${fmt(RATE_B)} events/s`, `${fmt(rssB.peak, 1)} MB`, `< ${TARGET_RSS_MB} MB`, verdict(rssB.peak < TARGET_RSS_MB)],
      [`relay steady RSS at ${fmt(RATE_B)} events/s`, `${fmt(rssB.steady, 1)} MB`, `< ${TARGET_RSS_MB} MB`, verdict(rssB.steady < TARGET_RSS_MB)],
      [
        'every acked event delivered exactly once (all phases)',
        `${phases.reduce((n, p) => n + p.missing, 0)} missing, ${phases.reduce((n, p) => n + p.duplicates, 0)} dup`,
        '0, 0',
        verdict(phases.every(complete)),
      ],
    ]),
  );
  const busiest = Math.max(...phases.map((p) => p.othersPct));
  if (busiest > 25) {
    console.log(
      `\nWARNING: other processes on this machine used up to ${fmt(busiest)}% CPU (of ${cpus().length * 100}%) during these runs; ` +
        'the relay competed for the cores, so latency here overstates an idle machine. Re-run when it is quiet.',
    );
  }
  console.log(`\nrelay stopped with SIGTERM: exit ${stop.code ?? stop.signal}; ${errors.length} error lines in its log${errors.length ? `, first: ${errors[0].slice(0, 300)}` : ''}`);
  if (KEEP) console.log(`kept ${work}`);
}

try {
  await main();
} finally {
  if (!KEEP) rmSync(work, { recursive: true, force: true });
}
