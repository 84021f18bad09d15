/**
 * The orchestration's own cost of following a server copy, in a fresh process:
 * `node pollWorker.js '<json args>'` copies one small blob by server-copy through the fault proxy,
 * which keeps the copy pending for `polls` status reads, and prints one JSON line: wall and CPU
 * time of this process, peak RSS, and the history events of the copyBlob instance (as the
 * status API lists them). Run by bench/run.ts with 0 and 20 polls: the difference is the cost
 * of the polling itself (durable timers, status activities, replays).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareTransfer } from '../src/durable/startTransfer';
import { actForLocalUser } from '../src/storage/registry';
import { transfer } from '../src/durable/orchestrators/transfer';
import { LocalHost } from '../src/local/host';
import { silentLogger } from '../src/local/logger';
import { isCopyBlob, startStorageProxy } from '../test/support/storageProxy';

interface PollArgs {
  polls: number;
  blobPort: number;
  accounts: Array<{ name: string; key: string }>;
  source: string;
  destinationAccount: string;
  destination: string;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as PollArgs;
  process.env.BLOBFERRY_SEAL_KEY = randomBytes(32).toString('base64');
  process.env.BLOBFERRY_POLL_INTERVAL = '20ms';
  process.env.BLOBFERRY_POLL_MAX_INTERVAL = '20ms';
  process.env[`BLOBFERRY_ACCOUNT_KEY_${args.destinationAccount.toUpperCase()}`] = args.accounts.find((a) => a.name === args.destinationAccount)!.key;
  const proxy = await startStorageProxy(args.blobPort, { accounts: args.accounts });
  proxy.rules.push({ match: isCopyBlob, pendingCopy: { polls: args.polls, then: 'success' }, times: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blobferry-bench-poll-'));
  fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0', extensions: { durableTask: { hubName: 'bench' } } }));
  const host = await LocalHost.start({ appDir: dir, stateDir: path.join(dir, 'state'), http: false, entryPoints: [path.join(__dirname, '..', 'src', 'functions', 'index.js')], logger: silentLogger });
  try {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const destination = `${proxy.origin}/${args.destinationAccount}/${args.destination}`;
    actForLocalUser(); // the benchmark copies as the CLI does
    const { instanceId, input } = prepareTransfer({ source: args.source, destination, options: { strategy: 'server-copy', overwrite: 'always' } }, 'user');
    host.engine.startNew(transfer.name, { instanceId, input });
    const status = await host.engine.waitForCompletion(instanceId);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const copied = (status.output as { blobs?: { copied: number } }).blobs?.copied;
    const polled = proxy.copies()[0]?.polls ?? 0;
    if (copied !== 1 || polled < args.polls) throw new Error(`copy incomplete (${polled} polls): ${JSON.stringify(status).slice(0, 600)}`);
    const history = host.engine.getStatus(`${instanceId}:blob`, { showHistory: true })?.historyEvents?.length ?? 0;
    process.stdout.write(JSON.stringify({ polls: polled, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: process.resourceUsage().maxRSS / 1024, historyEvents: history }) + '\n');
  } finally {
    await host.stop(1000);
    await proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
