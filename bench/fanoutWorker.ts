/**
 * One measurement, in a fresh process: a fan-out of N no-op activities on the local host
 * (in-process engine, journal on disk), wall time from start to completion, CPU time, peak RSS.
 * Prints one JSON line. Run by bench/run.ts.
 */
import { startTestHost } from '../test/support/localHost';

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  const { host, stop } = await startTestHost({ http: false });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const id = host.engine.startNew('fanOut', { input: { n, activity: 'noop' } });
  const status = await host.engine.waitForCompletion(id);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  if (status.runtimeStatus !== 'Completed' || (status.output as { count: number }).count !== n) throw new Error(`fan-out failed: ${JSON.stringify(status).slice(0, 500)}`);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  await stop();
  process.stdout.write(JSON.stringify({ n, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: peakRss / 1048576 }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
