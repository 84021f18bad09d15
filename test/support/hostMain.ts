/** A local host process for crash tests: `node hostMain.js <appDir> <stateDir>`. */
import { LocalHost } from '../../src/local/host';
import { createLogger } from '../../src/local/logger';
import { SAMPLES_ENTRY } from './localHost';

async function main(): Promise<void> {
  const [appDir, stateDir] = process.argv.slice(2);
  const host = await LocalHost.start({ appDir, stateDir, port: 0, entryPoints: [SAMPLES_ENTRY], logger: createLogger({ level: 'warn' }) });
  process.on('SIGTERM', () => void host.stop().then(() => process.exit(0)));
  process.stdout.write(`host ready: ${host.url}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
