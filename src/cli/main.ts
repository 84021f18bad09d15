#!/usr/bin/env node
/**
 * The `blobferry` command.
 *   blobferry copy    copy a blob, a prefix, a container or a local directory (see copyCommand.ts)
 *   blobferry sync    copy what is missing or different, and optionally remove what is gone
 *   blobferry jobs    list, show, cancel, resume and clean copies (see jobsCommand.ts)
 *   blobferry host    run the Functions app on this machine (what `npm start` runs)
 */
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BLOB_TYPES, CHECK_MD5_MODES, COMPARE_MODES, INVALID_METADATA_POLICIES, INVALID_NAME_POLICIES, SOURCE_SECONDARY, ON_PENDING_COPY, OVERWRITE_POLICIES, STRATEGIES, VERIFY_MODES } from '../contracts/copyRequest';
import { isBlobferryError, messageOf } from '../contracts/errors';
import { redact } from '../contracts/redact';
import { startAzurite, type RunningAzurite } from '../local/azurite';
import { applyLocalSettings } from '../local/hostConfig';
import { LocalHost } from '../local/host';
import { ensureLocalSealKey } from '../storage/seal';
import { createLogger, type Logger, type LogLevel } from '../local/logger';
import { EXIT, runCopy, type CopyCommandOptions } from './copyCommand';
import { cancelJob, cleanJobs, listJobs, resumeJob, showJob, type JobsOptions } from './jobsCommand';


const program = new Command()
  .name('blobferry')
  .description('Move blobs into Azure Blob Storage: between accounts, from S3, from any URL, from local disks.')
  .showHelpAfterError()
  .exitOverride();

const EXIT_CODES = `
Exit codes:
  0  every blob was copied, or skipped by the overwrite policy
  1  some blob failed (the failures are listed)
  2  bad usage or input: nothing was written

Running the same command again after an interruption resumes the same copy.`;

/** The options copy and sync share: what to take, how to move and check it, what to print, where it runs. */
function transferOptions(command: Command): Command {
  return command
    .option('--include <glob>', 'with --recursive: copy only names matching (repeatable; "*.csv", "2024/**")', collect, [])
    .option('--exclude <glob>', 'with --recursive: skip names matching (repeatable)', collect, [])
    .option('--include-after <time>', 'with --recursive: only objects last modified after this time (ISO 8601, such as 2026-11-01T00:00:00Z)')
    .option('--include-before <time>', 'with --recursive: only objects last modified before this time')
    .option('--list-of-files <file>', 'with --recursive: copy only the names this file lists, one per line, relative to the source prefix (a directory takes everything under it)')
    .option('--block-size <MiB>', 'block size in MiB (default: 8, grown to fit 50,000 blocks; at most 4000)', parseNumber)
    .option('--concurrency <n>', 'requests in flight (default 16)', parseCount)
    .option('--timeout <duration>', 'stop the copy if it has not finished by then ("90m", "6h", "2d"; a server copy is aborted and the destination restored; default: BLOBFERRY_COPY_TIMEOUT, else 24h)')
    .addOption(new Option('--check-md5 <mode>', 'bytes blobferry moves itself (relay, uploads, downloads) against the MD5 the source declares: fail that copy, warn (keep it, counted as md5-mismatch), or off').choices([...CHECK_MD5_MODES]).default('fail'))
    .addOption(new Option('--invalid-metadata <action>', 'metadata names and tag characters Azure refuses (from S3): rename them, or fail that object').choices([...INVALID_METADATA_POLICIES]).default('rename'))
    .addOption(new Option('--invalid-names <action>', 'source names that are not valid blob names (ending in "." or "/", "."/".." segments, too long): fail that object, or rename it').choices([...INVALID_NAME_POLICIES]).default('fail'))
    .option('--no-put-md5', 'do not store the MD5 blobferry computes of bytes it moves itself (uploads, relay) as Content-MD5 (stored by default: downloads and sync --compare md5 check against it)')
    .option('--create-container', 'create the destination container when it does not exist (as AzCopy does)')
    .option('--max-tries <n>', 'tries per storage request for failures that may pass (network, timeouts, 5xx, throttling), the first included (default 5)', parseNumber)
    .option('--request-timeout <duration>', 'how long one try of a request may take before it is tried again, such as 90s or 5m (default 5m)')
    .option('--json', 'print one JSON object with the outcome on stdout, and no progress (--dry-run: one per object, then a summary)')
    .option('--json-progress', 'for scripts: one JSON line per change of progress on stdout ({"event": "progress", ...}), then the --json object')
    .addOption(new Option('--log-level <level>', 'what the in-process host logs on stderr (default error: failures are in the summary)').choices(['debug', 'info', 'warn', 'error']))
    .option('--host <url>', 'run the copy on a running blobferry host (its function key from BLOBFERRY_FUNCTION_KEY)')
    .option('--state-dir <dir>', 'durable state of in-process copies (default: BLOBFERRY_STATE_DIR, else ~/.blobferry/state)')
    .addHelpText('after', EXIT_CODES);
}

const LOCATIONS = 'an Azure Blob URL (with a SAS, or credentials from settings), s3://<bucket>/<key or prefix> (an S3 https URL too), any http(s) URL, or a local path';

transferOptions(
  program
    .command('copy')
    .description('Copy a blob, or with --recursive everything under a container, prefix or directory: into Azure Blob Storage, or from it to a local disk.')
    .argument('<source>', LOCATIONS)
    .argument('<destination>', 'an Azure Blob URL: a blob, or a container / prefix ending with "/"; or a local file or directory')
    .option('-r, --recursive', 'copy everything under the source container, prefix or directory')
    .addOption(new Option('--overwrite <policy>', 'when the destination exists (if-different: what sync does)').choices([...OVERWRITE_POLICIES]).default('never'))
    .addOption(new Option('--strategy <strategy>', 'how to copy (auto: from the facts, see docs/strategies.md)').choices([...STRATEGIES]).default('auto'))
    .option('--lease-source', 'hold a lease on the source blob while it is copied, so nobody changes it (released at the end)')
    .addOption(new Option('--blob-type <type>', 'detect: page and append blobs stay what they are (server copy); block: make every copy a block blob').choices([...BLOB_TYPES]).default('detect'))
    .addOption(new Option('--verify <check>', 'after each copy: size (compare sizes), or md5 (read the copy back and compare MD5s)').choices([...VERIFY_MODES]).default('size'))
    .addOption(new Option('--on-pending-copy <action>', 'when the destination has someone else\'s copy pending').choices([...ON_PENDING_COPY]).default('fail'))
    .option('--preserve-access-tier', 'give each copy the source blob\'s access tier (Hot, Cool, Cold)')
    .option('--delete-source', 'move: delete each source object once its copy is committed and verified (S3 and Azure Blob sources)')
    .addOption(new Option('--source-secondary <when>', 'an Azure source of an RA-GRS account: read its secondary never, when the primary keeps failing, or first (pinned to the version copied)').choices([...SOURCE_SECONDARY]).default('on-failure'))
    .option('--dry-run', 'list what would be copied, skipped (and why) and would fail, and write nothing'),
).action(async (source: string, destination: string, options: Omit<CopyCommandOptions, 'appDir'>) => {
  process.exit(await runCopy(source, destination, { ...options, appDir: defaultAppDir() }));
});

transferOptions(
  program
    .command('sync')
    .description('Make the destination hold what the source holds: copy what is missing or different (by size and modification time, or MD5), and with --delete-destination remove what the source no longer has. Local directory to blobs, blobs to a local directory, or blobs to blobs.')
    .argument('<source>', LOCATIONS)
    .argument('<destination>', 'an Azure Blob container or prefix, or a local directory')
    .addOption(new Option('--compare <what>', 'what makes a file different: size-mtime (size, then modification time) or md5 (MD5s where both are known: Content-MD5, or a local file read and hashed)').choices([...COMPARE_MODES]).default('size-mtime'))
    .option('--delete-destination', 'remove what is under the destination and no longer in the source (only names the filters take; never after a copy that did not end whole)')
    .option('--dry-run', 'list what would be copied, skipped and removed, and write nothing'),
).action(async (source: string, destination: string, options: Omit<CopyCommandOptions, 'appDir'>) => {
  process.exit(await runCopy(source, destination, { ...options, recursive: true, overwrite: 'if-different', appDir: defaultAppDir() }));
});

const jobs = program
  .command('jobs')
  .description('The copies blobferry copy ran on this machine (running, interrupted, ended), or with --host a host\'s copies.');
const jobsOptions = (command: Command) =>
  command
    .option('--json', 'print one JSON object on stdout')
    .option('--host <url>', 'a running blobferry host\'s copies (its function key from BLOBFERRY_FUNCTION_KEY)')
    .option('--state-dir <dir>', 'where in-process copies keep their state (default: BLOBFERRY_STATE_DIR, else ~/.blobferry/state)');
/** Commander passes the arguments, then the options and the command. */
const jobsRun = (handler: (args: string[], options: JobsOptions) => Promise<number>) => async (...given: unknown[]) => {
  const options = given.at(-2) as Omit<JobsOptions, 'appDir'>;
  process.exit(await handler(given.slice(0, -2) as string[], { ...options, appDir: defaultAppDir() }));
};
jobsOptions(jobs.command('list').description('list copies, newest first').option('--status <states>', 'only copies running, interrupted or ended (or a Durable status: completed, failed...), comma-separated')).action(jobsRun((_, options) => listJobs(options)));
jobsOptions(jobs.command('show').description('one copy: where it stands, its counts and failures').argument('<id>', 'the copy id (jobs list shows them)')).action(jobsRun(([id], options) => showJob(id, options)));
jobsOptions(jobs.command('cancel').description('cancel a copy: a server copy is aborted and its destination restored; a copy another process runs is asked to stop, an interrupted one is cancelled here').argument('<id>', 'the copy id')).action(jobsRun(([id], options) => cancelJob(id, options)));
jobsOptions(jobs.command('resume').description('resume an interrupted copy where it stopped (as running its command again does)').argument('<id>', 'the copy id').addOption(new Option('--log-level <level>', 'what the in-process host logs on stderr').choices(['debug', 'info', 'warn', 'error']))).action(jobsRun(([id], options) => resumeJob(id, options)));
jobsOptions(jobs.command('clean').description('remove what ended copies keep on this machine (reports, the state of failed copies); never a running copy').argument('[id]', 'only this copy (an interrupted one too)').option('--all', 'interrupted copies too: they can no longer be resumed')).action(jobsRun(([id], options) => cleanJobs(id, options)));

program
  .command('host')
  .description(
    'Run the blobferry Functions app on this machine: HTTP functions on http://127.0.0.1:7071/api/..., the Durable ' +
      'HTTP API under /runtime/webhooks/durabletask, orchestrations with durable state in a local folder. Without ' +
      'AzureWebJobsStorage configured, an embedded Azurite is started for the app storage.',
  )
  .option('--port <port>', 'HTTP port (default: PORT, else 7071; 0 = any free port)', parsePort)
  .option('--listen-host <address>', 'interface to listen on', '127.0.0.1')
  .option('--app-dir <dir>', 'the app folder (host.json, local.settings.json, package.json)', defaultAppDir())
  .option('--state-dir <dir>', 'durable state folder (default: BLOBFERRY_STATE_DIR, else <app-dir>/.blobferry/state)')
  .option('--azurite-dir <dir>', 'data folder of the embedded Azurite (default: <app-dir>/.blobferry/azurite)')
  .option('--no-azurite', 'never start the embedded Azurite, even without AzureWebJobsStorage')
  .option('--allow-anonymous', 'serve a non-loopback --listen-host without a function key (BLOBFERRY_FUNCTION_KEY); only behind a network that authenticates callers')
  .addOption(new Option('--log-level <level>', 'log detail').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .action(async (options: { port?: number; listenHost: string; appDir: string; stateDir?: string; azuriteDir?: string; azurite: boolean; allowAnonymous?: boolean; logLevel: LogLevel }) => {
    const logger = createLogger({ level: options.logLevel });
    const appDir = path.resolve(options.appDir);
    applyLocalSettings(appDir);
    const stateDir = path.resolve(options.stateDir || process.env.BLOBFERRY_STATE_DIR || path.join(appDir, '.blobferry', 'state'));
    ensureLocalSealKey(stateDir);
    let azurite: RunningAzurite | undefined;
    if (!process.env.AzureWebJobsStorage && options.azurite) {
      azurite = await startEmbeddedAzurite(options.azuriteDir ?? path.join(appDir, '.blobferry', 'azurite'), logger);
      process.env.AzureWebJobsStorage = azurite.connectionString();
      logger.info(`Embedded Azurite: blob ${azurite.blobEndpoint()}, queue ${azurite.queueEndpoint()}, table ${azurite.tableEndpoint()} (data in ${options.azuriteDir ?? path.join(appDir, '.blobferry', 'azurite')})`);
      // Its key is Azurite's published development key, so the connection string is shown whole
      // (the log would redact it): it is what queue clients need when the ports moved.
      process.stderr.write(`App storage connection string: ${azurite.connectionString()}\n`);
    } else if (process.env.AzureWebJobsStorage) {
      logger.info(`App storage: ${redact(process.env.AzureWebJobsStorage)}`);
    }
    let host: LocalHost;
    try {
      host = await LocalHost.start({ appDir, port: options.port, listenHost: options.listenHost, stateDir, logger, allowAnonymous: options.allowAnonymous });
    } catch (err) {
      await azurite?.stop();
      throw err;
    }
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal}: stopping the host`);
      await host.stop();
      await azurite?.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    // Only now: whoever waits for this line may signal us at once.
    process.stdout.write(`blobferry host ready: ${host.url}\n`);
  });

/** Azurite on its usual ports (so Storage Explorer finds it), or on free ports if they are taken. */
async function startEmbeddedAzurite(location: string, logger: Logger): Promise<RunningAzurite> {
  try {
    return await startAzurite({ location, blobPort: 10000, queuePort: 10001, tablePort: 10002 });
  } catch (err) {
    if (!/EADDRINUSE/.test(messageOf(err))) throw err;
    const moved = await startAzurite({ location });
    logger.warn(`Ports 10000-10002 are taken (another Azurite?): the embedded Azurite listens on ${moved.blobPort}, ${moved.queuePort} and ${moved.tablePort} instead. Use the connection string below, not UseDevelopmentStorage=true, to reach it.`);
    return moved;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, not "${text}".`);
  return n;
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, not "${text}".`);
  return n;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`--port must be a number from 0 to 65535, not "${text}".`);
  return port;
}

/** The folder of the installed blobferry package (dist/src/cli -> package root). */
function defaultAppDir(): string {
  return path.resolve(__dirname, '..', '..', '..');
}

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') process.exit(0);
    if (typeof code === 'string' && code.startsWith('commander.')) process.exit(EXIT.USAGE);
    process.stderr.write(`blobferry: ${isBlobferryError(err) ? `${err.code}: ` : ''}${redact(messageOf(err))}\n`);
    process.exit(isBlobferryError(err) && ['CONFIG_INVALID', 'BAD_REQUEST'].includes(err.code) ? EXIT.USAGE : 1);
  }
}

void main();
