/**
 * The local host: runs the Functions app on one machine the way the Functions host and the
 * Durable extension run it in Azure. It loads the app's real entry point with the
 * @azure/functions-core stand-in in place, so the functions it serves are exactly those
 * src/functions registers; then it starts the Durable engine and the HTTP listeners.
 *
 * It is a laptop, CI and CLI engine, not a scale-out one: one process, one state folder.
 * Azure Durable Functions is where blobferry scales out.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { BlobferryError, messageOf } from '../contracts/errors';
import { credentialsDirOf } from '../storage/freshCredentials';
import { isLoopbackHost } from '../storage/urls';
import { DurableEngine } from './durable/engine';
import type { DurableTimerOptions } from './durable/episode';
import { describeEngineStats } from './durable/engineStats';
import { installFunctionsCore, type CapturedFunction, type FunctionsCore } from './functionsCore';
import { appEntryPoints, applyLocalSettings, readAppPackage, readHostConfig, type HostConfig } from './hostConfig';
import { WebhookUrls } from './http/durableApi';
import { HttpLayer, listen } from './http/server';
import { Invoker } from './invoker';
import { QueuePoller } from './queues';
import { createLogger, type Logger } from './logger';

export interface LocalHostOptions {
  /** The app folder: host.json, local.settings.json, package.json. */
  appDir: string;
  /** Modules that register functions; default: the files the app's package.json "main" (a file or a glob) names. */
  entryPoints?: string[];
  /** Default: PORT, else 7071. 0 picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  listenHost?: string;
  /** Durable state folder; default BLOBFERRY_STATE_DIR, else <appDir>/.blobferry/state. */
  stateDir?: string;
  /** Default: setting BLOBFERRY_FUNCTION_KEY. */
  functionKey?: string;
  /** Serve a non-loopback interface without a function key (refused otherwise: anyone on the network could start copies). */
  allowAnonymous?: boolean;
  /** Durable timer splitting; the extension's defaults (6 days / 3 days) unless set. */
  durableTimers?: Partial<DurableTimerOptions>;
  fsync?: boolean;
  /** Raise host.json's activity/orchestrator concurrency (the CLI matches its --concurrency). */
  minConcurrency?: { activities?: number; orchestrators?: number };
  /** Serve HTTP (off for the in-process CLI). Default true. */
  http?: boolean;
  /** Poll the queues of queue-triggered functions. Default: as `http` (a whole host, not the in-process CLI). */
  queues?: boolean;
  logger?: Logger;
}

const DEFAULT_TIMERS: DurableTimerOptions = { maximumShortTimerMs: 6 * 86_400_000, longRunningTimerIntervalMs: 3 * 86_400_000 };

let loadedEntryPoints: string | undefined;

export class LocalHost {
  private constructor(
    readonly config: HostConfig,
    readonly engine: DurableEngine,
    readonly functions: CapturedFunction[],
    readonly url: string | undefined,
    readonly rpcUrl: string,
    private readonly core: FunctionsCore,
    private readonly servers: Server[],
    private readonly queues: QueuePoller | undefined,
    private readonly logger: Logger,
    private readonly appDir: string,
  ) {}

  static async start(options: LocalHostOptions): Promise<LocalHost> {
    const logger = options.logger ?? createLogger();
    const appDir = path.resolve(options.appDir);
    applyLocalSettings(appDir);
    const config = readHostConfig(appDir);
    const core = await loadApp(appDir, options.entryPoints, logger);
    const functionKey = options.functionKey ?? (process.env.BLOBFERRY_FUNCTION_KEY || undefined);
    const stateDir = path.resolve(options.stateDir || process.env.BLOBFERRY_STATE_DIR || path.join(appDir, '.blobferry', 'state'));
    // Credentials given to running copies live beside their durable state (storage/freshCredentials.ts).
    process.env.BLOBFERRY_CREDENTIALS_DIR = credentialsDirOf(stateDir);

    let origin = '';
    let rpcBaseUrl = '';
    const urls = new WebhookUrls(() => origin, config.taskHub, functionKey);
    // Durable client bindings (HTTP functions, activities) reach the RPC listener started below.
    const invoker = new Invoker(core, logger, () => urls.clientBindingData(rpcBaseUrl), config.queues.messageEncoding);
    const engine = new DurableEngine(core, invoker, logger, {
      stateDir: path.join(stateDir, config.taskHub),
      taskHub: config.taskHub,
      maxConcurrentActivityFunctions: Math.max(config.maxConcurrentActivityFunctions, options.minConcurrency?.activities ?? 0),
      maxConcurrentOrchestratorFunctions: Math.max(config.maxConcurrentOrchestratorFunctions, options.minConcurrency?.orchestrators ?? 0),
      timers: { ...DEFAULT_TIMERS, ...options.durableTimers },
      fsync: options.fsync,
    });

    const listenHost = options.listenHost ?? '127.0.0.1';
    if (options.http !== false && !functionKey && !options.allowAnonymous && !isLoopbackHost(listenHost)) {
      throw new BlobferryError('CONFIG_INVALID', `The host would serve ${listenHost} without a function key: anyone who can reach it could start copies with the app's identity. Set BLOBFERRY_FUNCTION_KEY, listen on 127.0.0.1, or pass --allow-anonymous if the network in front of it authenticates callers.`);
    }
    const servers: Server[] = [];
    try {
      const layer = new HttpLayer({
        core,
        invoker,
        engine,
        urls,
        logger,
        routePrefix: config.routePrefix,
        functionKey,
      });
      const rpcServer = layer.createRpcServer();
      servers.push(rpcServer);
      rpcBaseUrl = `http://127.0.0.1:${await listen(rpcServer, 0, '127.0.0.1')}/durabletask/`;
      let url: string | undefined;
      if (options.http !== false) {
        const server = layer.createPublicServer();
        servers.push(server);
        const port = await listen(server, options.port ?? (Number(process.env.PORT) || 7071), listenHost);
        const hostForUrls = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
        url = `http://${hostForUrls}:${port}`;
        origin = url;
        // df.getClient rewrites URLs to localhost:7071 unless it sees where the app really runs.
        process.env.WEBSITE_HOSTNAME ??= `${hostForUrls}:${port}`;
      } else {
        origin = 'http://127.0.0.1';
      }
      await core.runAppHook('appStart', appDir);
      core.closeRegistration();
      engine.start();
      const functions = [...core.functions.values()];
      let queues: QueuePoller | undefined;
      if (options.queues ?? options.http !== false) {
        queues = new QueuePoller(invoker, config.queues, logger);
        queues.start(functions);
      }
      const host = new LocalHost(config, engine, functions, url, rpcBaseUrl, core, servers, queues, logger, appDir);
      host.announce(layer, functionKey);
      return host;
    } catch (err) {
      for (const server of servers) server.close();
      await engine.stop(0);
      throw err;
    }
  }

  /** Stops listening, lets running work finish (up to `graceMs`) and closes the state folder. */
  async stop(graceMs = 10_000): Promise<void> {
    // Queue functions in flight still use the durable client (the RPC listener): they finish first.
    await this.queues?.stop(graceMs);
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const server of this.servers) server.closeAllConnections?.();
    await this.engine.stop(graceMs);
    // What replaying histories cost this run: the figure that grows with long copies.
    this.logger.info(describeEngineStats(this.engine.stats()));
    await this.core.runAppHook('appTerminate', this.appDir);
  }

  private announce(layer: HttpLayer, functionKey: string | undefined): void {
    const lines = ['Functions:'];
    for (const fn of this.functions) {
      const route = layer.routes.find((r) => r.fn === fn);
      lines.push(route && this.url ? `  ${fn.metadata.name}: [${route.methods.join(',')}] ${this.url}/${[this.config.routePrefix, route.template.template].filter(Boolean).join('/')}` : `  ${fn.metadata.name}: ${fn.trigger.type}`);
    }
    this.logger.info(lines.join('\n'));
    const served = new Set(['httpTrigger', 'orchestrationTrigger', 'activityTrigger', ...(this.url ? ['eventGridTrigger'] : []), ...(this.queues ? ['queueTrigger'] : [])]);
    // A whole host says which functions will not run; the CLI's in-process host serves copies only.
    const say = this.url ? this.logger.warn : this.logger.debug;
    for (const fn of this.functions.filter((f) => !served.has(f.trigger.type))) {
      say(`Function ${fn.metadata.name} has a ${fn.trigger.type}, which the local host does not serve; it will not run here.`);
    }
    if (this.url) {
      this.logger.info(`Durable HTTP API: ${this.url}/runtime/webhooks/durabletask/instances/{instanceId}`);
      if (!functionKey) this.logger.warn('Function keys are not enforced: setting BLOBFERRY_FUNCTION_KEY is not set, so every route is open (as with func start).');
    }
  }
}

/**
 * Installs the @azure/functions-core stand-in and loads the app's entry points in order, as
 * Azure's Node worker does (once per process): `import()` for ES modules (.mjs, or "type":
 * "module" in the app's package.json), `require` for the rest. A file that fails to load stops
 * the start, naming the file (the worker blocks the app on Node 20 and later as well).
 */
async function loadApp(appDir: string, entryPoints: string[] | undefined, logger: Logger): Promise<FunctionsCore> {
  const files = entryPoints ? entryPoints.map((p) => path.resolve(appDir, p)) : appEntryPoints(appDir);
  const key = files.join('\n');
  const core = installFunctionsCore((level, category, message) => logger.functionLog('host', level, category, message));
  if (loadedEntryPoints !== undefined) {
    if (loadedEntryPoints !== key) throw new BlobferryError('CONFIG_INVALID', 'This process already hosts another app; the local host runs one app per process.');
    return core;
  }
  const esm = readAppPackage(appDir)?.type === 'module';
  for (const file of files) {
    if (!fs.existsSync(file)) {
      throw new BlobferryError('CONFIG_INVALID', `The app entry point ${file} does not exist; run "npm run build" first.`);
    }
    logger.debug(`Loading entry point file ${file}`);
    try {
      if (file.endsWith('.mjs') || (esm && !file.endsWith('.cjs'))) await import(pathToFileURL(file).href);
      else require(file);
    } catch (err) {
      logger.debug(`${file}: ${(err as Error).stack ?? messageOf(err)}`);
      throw new BlobferryError('CONFIG_INVALID', `The app entry point ${file} failed to load: ${messageOf(err).replace(/\.$/, '')}. Fix it (or rebuild the app: "npm run build") and start again.`);
    }
  }
  loadedEntryPoints = key;
  if (core.functions.size === 0) throw new BlobferryError('CONFIG_INVALID', `The app at ${appDir} registered no functions.`);
  return core;
}
