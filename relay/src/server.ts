/**
 * Runs the relay: listening, timeouts, logging and graceful shutdown. On SIGINT/SIGTERM it
 * stops accepting connections, lets in-flight requests finish (their events are committed
 * before they are answered), lets in-flight deliveries finish, and closes the database.
 */
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import { buildApp, type AppOptions } from './app.js';
import type { Config } from './config.js';
import { lazyChildLogger, loggerOptions } from './logging.js';

export interface StartOptions extends Omit<AppOptions, 'config'> {
  /** Handle SIGINT/SIGTERM (the CLI does; tests do not). */
  handleSignals?: boolean;
  /** Where logs go (default stdout). */
  logStream?: DestinationStream;
}

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, opts: StartOptions): Promise<RunningServer> {
  const { handleSignals = false, logStream, ...appOptions } = opts;
  const logger = pino(loggerOptions(config), logStream ?? pino.destination(1));
  const app = await buildApp(
    { ...appOptions, config },
    {
      loggerInstance: logger,
      // Slow-loris protection: a client gets this long to send its whole request.
      requestTimeout: 30_000,
      connectionTimeout: 60_000,
      // Longer than the common 60 s idle timeout of proxies in front, so they close first.
      keepAliveTimeout: 72_000,
      // On close, idle keep-alive sockets are dropped at once; busy ones finish their request.
      forceCloseConnections: 'idle',
      return503OnClosing: true,
      bodyLimit: config.bodyLimitBytes,
      // fastify's two info lines per request cost about a third of a single-event ingest's CPU
      // (bench/ingest.sh). app.ts logs one line per request instead: failures at info, the rest at debug.
      disableRequestLogging: true,
      // A request's child logger is built only if something logs (an accepted ingest logs nothing).
      childLoggerFactory: (logger, bindings, opts) => lazyChildLogger(logger, bindings, opts),
    },
  );

  const url = await app.listen({ host: config.host, port: config.port });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());

  if (handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) {
        app.log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      app.log.info({ signal }, 'shutting down: no new requests; finishing in-flight requests and deliveries');
      // If something hangs past the worker's own abort, do not hang forever.
      const hard = setTimeout(() => {
        app.log.error('shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs + 5_000);
      hard.unref();
      close().then(
        () => {
          app.log.info('stopped');
          logger.flush();
          process.exitCode = 0;
        },
        (err: unknown) => {
          app.log.error({ err }, 'error while shutting down');
          process.exitCode = 1;
        },
      );
    };
    // `on`, not `once`: a second Ctrl-C must reach the handler to force the exit.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  return { app, url, close };
}
