#!/usr/bin/env node
/** Entry of the `layersync-relay` command; everything else is in cli/program.ts. */
import { runCli } from './cli/program.js';
import { destinations } from './destinations/registry.js';

const controller = new AbortController();
const argv = process.argv.slice(2);
const isStart = argv[0] === 'start';
if (!isStart) {
  // `stream --tail` stops cleanly on Ctrl-C/SIGTERM; `start` installs the server's own handlers.
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const code = await runCli(argv, {
  env: process.env,
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  registry: destinations,
  signal: controller.signal,
  stdout: process.stdout,
});
if (!isStart || code !== 0) process.exitCode = code;
