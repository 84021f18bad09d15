/**
 * Microsoft Entra ID against Azurite's OAuth mode: makes a self-signed certificate for 127.0.0.1
 * (openssl), then runs test/oauth/entraCopies in a Node process that trusts it
 * (NODE_EXTRA_CA_CERTS is read only when a process starts), and passes when all of its tests pass.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, it } from 'node:test';
import { makeTempDir, removeDir } from '../support/temp';

const dir = makeTempDir('blobferry-entra-cert-');
after(() => removeDir(dir));

it('copies from and to accounts reached with Entra ID only (Azurite --oauth basic over HTTPS)', { timeout: 300_000 }, async () => {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  assert.equal(made.status, 0, `openssl (Debian package openssl) made no certificate: ${made.stderr ?? made.error}`);
  const scenarios = path.join(__dirname, '..', 'oauth', 'entraCopies.js');
  // Its own process group, so a timeout stops Azurite and everything else it started.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: cert, BLOBFERRY_TEST_CERT: cert, BLOBFERRY_TEST_KEY: key };
  delete env.NODE_TEST_CONTEXT; // a run of its own, not a file of this one
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', scenarios], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 280_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is gone: everything stopped on its own
  }
  assert.equal(code, 0, output);
  assert.match(output, /ℹ pass (\d+)/);
  assert.match(output, /ℹ fail 0/);
});
