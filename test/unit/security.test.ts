/**
 * The security model's pure parts (docs/security.md): which addresses remote callers may reach,
 * names checked when they resolve (DNS rebinding included), sealed values bound to their use and
 * rotating keys, the access policy and the app's working storage. Each table row is a case an
 * attacker would try.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CopyOptionsSchema } from '../../src/contracts/copyRequest';
import { globComplexity, truncate } from '../../src/contracts/limits';
import type { BlobLocation, Location } from '../../src/contracts/locations';
import { guardedLookup, isPublicAddress, remoteNetwork, trustedEndpoints } from '../../src/storage/access/network';
import { actForLocalUser, authorize, openDestination, openSource, parseLocation, sealTransfer, type SealedTransfer } from '../../src/storage/registry';
import { inScope, nameScope } from '../../src/storage/scope';
import { seal, unseal } from '../../src/storage/seal';

const NO_TRUST = trustedEndpoints([]);

describe('addresses remote callers may reach', () => {
  const notPublic = ['127.0.0.1', '127.8.9.10', '0.0.0.0', '10.0.0.5', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '198.18.0.1', '224.0.0.1', '255.255.255.255', '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:169.254.169.254', '::127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::', 'ff02::1'];
  for (const address of notPublic) it(`refuses ${address}`, () => assert.equal(isPublicAddress(address), false));
  for (const address of ['8.8.8.8', '20.60.0.1', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) it(`allows ${address}`, () => assert.equal(isPublicAddress(address), true));

  const guard = remoteNetwork(NO_TRUST);
  const refusedUrls = [
    'http://127.0.0.1:18099/secret',
    'http://2130706433/secret', // decimal
    'http://0177.0.0.1/secret', // octal
    'http://0x7f.1/secret', // hex, short form
    'http://[::1]/secret',
    'http://[::ffff:127.0.0.1]/secret', // IPv4-mapped
    'http://[::ffff:a9fe:a9fe]/latest/meta-data', // the metadata endpoint, mapped
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://localhost/secret',
    'http://localhost./secret', // trailing dot
    'http://api.localhost/secret',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://printer.local/',
    'http://intranet/', // a bare name: the search domain decides where it goes
    'http://[fd00::1]/',
    'http://10.1.2.3/',
  ];
  for (const text of refusedUrls) {
    it(`refuses ${text} before any request`, () => assert.throws(() => guard.check(new URL(text), 'The source'), { code: 'SOURCE_NOT_ALLOWED' }));
  }
  it('allows public names (checked again when they resolve) and public addresses', () => {
    guard.check(new URL('https://example.com/file.bin'), 'The source');
    guard.check(new URL('http://8.8.8.8/x'), 'The source');
  });
  it('refuses schemes other than http(s), and names the destination code for a destination', () => {
    assert.throws(() => guard.check(new URL('file:///etc/passwd'), 'The source'), { code: 'SOURCE_NOT_ALLOWED' });
    assert.throws(() => guard.check(new URL('http://127.0.0.1/x'), 'The destination', 'DESTINATION_NOT_ALLOWED'), { code: 'DESTINATION_NOT_ALLOWED' });
  });
  it('lets through what the operator trusts: host:port, a bare host, an address range', () => {
    const trusted = remoteNetwork(trustedEndpoints(['127.0.0.1:10000', 'minio.corp.example', '10.1.0.0/16']));
    trusted.check(new URL('http://127.0.0.1:10000/devstoreaccount1/c'), 'x');
    trusted.check(new URL('https://minio.corp.example/bucket'), 'x');
    trusted.check(new URL('http://10.1.200.3/'), 'x');
    assert.throws(() => trusted.check(new URL('http://127.0.0.1:10001/'), 'x'), { code: 'SOURCE_NOT_ALLOWED' }, 'another port is another endpoint');
    assert.throws(() => trusted.check(new URL('http://10.2.0.1/'), 'x'), { code: 'SOURCE_NOT_ALLOWED' });
    assert.throws(() => trustedEndpoints(['not a host!']), { code: 'CONFIG_INVALID' });
  });
});

describe('names checked when they resolve', () => {
  /** A resolver answering from a script, one answer per call (the way a rebinding DNS server does). */
  const scripted = (...answers: string[][]): typeof dns.lookup => {
    let call = 0;
    return ((_host: string, _options: unknown, callback: (err: Error | null, addresses: dns.LookupAddress[]) => void) => {
      const answer = answers[Math.min(call++, answers.length - 1)];
      setImmediate(() => callback(null, answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))));
    }) as unknown as typeof dns.lookup;
  };
  const lookupOnce = (lookup: ReturnType<typeof guardedLookup>, all: boolean) =>
    new Promise<unknown>((resolve, reject) => (lookup as unknown as (h: string, o: object, cb: (e: Error | null, a: unknown) => void) => void)('files.example', { all }, (err, address) => (err ? reject(err) : resolve(address))));

  it('passes a name whose every address is public', async () => {
    assert.equal(await lookupOnce(guardedLookup(NO_TRUST, scripted(['93.184.216.34'])), false), '93.184.216.34');
  });
  it('refuses a name that resolves to loopback, or to one private address among public ones', async () => {
    await assert.rejects(lookupOnce(guardedLookup(NO_TRUST, scripted(['127.0.0.1'])), false), { code: 'SOURCE_NOT_ALLOWED' });
    await assert.rejects(lookupOnce(guardedLookup(NO_TRUST, scripted(['93.184.216.34', '169.254.169.254'])), true), { code: 'SOURCE_NOT_ALLOWED' });
    await assert.rejects(lookupOnce(guardedLookup(NO_TRUST, scripted(['::ffff:127.0.0.1'])), true), { code: 'SOURCE_NOT_ALLOWED' });
  });
  it('catches DNS rebinding: public when first asked, loopback on the next connection', async () => {
    const lookup = guardedLookup(NO_TRUST, scripted(['93.184.216.34'], ['127.0.0.1']));
    assert.equal(await lookupOnce(lookup, false), '93.184.216.34');
    await assert.rejects(lookupOnce(lookup, false), { code: 'SOURCE_NOT_ALLOWED' });
  });

  describe('on a real connection', () => {
    let secret: http.Server;
    let port = 0;
    let hits = 0;
    before(async () => {
      secret = http.createServer((_req, res) => (hits++, res.end('the secret')));
      await new Promise<void>((resolve) => secret.listen(0, '127.0.0.1', resolve));
      port = (secret.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => secret.close(() => resolve())));

    it('never opens the socket when the name resolves to loopback at connect time', async () => {
      const guard = remoteNetwork(NO_TRUST, scripted(['127.0.0.1']));
      const url = new URL(`http://files.example:${port}/secret`);
      guard.check(url, 'The source');
      const failure = await new Promise<Error>((resolve) => http.get(url, { agent: guard.agentFor(url) }, () => resolve(new Error('answered'))).on('error', resolve));
      assert.equal((failure as { code?: string }).code, 'SOURCE_NOT_ALLOWED', failure.message);
      assert.equal(hits, 0, 'the loopback service saw no request');
    });
  });
});

describe('sealed values', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['BLOBFERRY_SEAL_KEY', 'BLOBFERRY_SEAL_KEYS_PREVIOUS']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  const newKey = () => randomBytes(32).toString('base64');

  it('open only for the binding they were sealed for, and not when tampered with', () => {
    process.env.BLOBFERRY_SEAL_KEY = newKey();
    const sealed = seal('sv=1&sig=secret', 'secret\nsource\ncopy-a');
    assert.equal(unseal(sealed, 'secret\nsource\ncopy-a'), 'sv=1&sig=secret');
    assert.throws(() => unseal(sealed, 'secret\ndestination\ncopy-a'), { code: 'SEAL_MISMATCH' });
    assert.throws(() => unseal(sealed, 'secret\nsource\ncopy-b'), { code: 'SEAL_MISMATCH' });
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
    assert.throws(() => unseal(flipped, 'secret\nsource\ncopy-a'), { code: 'SEAL_MISMATCH' });
    assert.throws(() => unseal('sealed:v1:AAAA', 'x'), { code: 'SEAL_MISMATCH' }, 'the unbound format of older versions');
    assert.throws(() => unseal('sv=1&sig=plain', 'x'), { code: 'SEAL_MISMATCH' }, 'a secret nobody sealed');
  });

  it('rotate: the newest key seals, previous keys still open, a dropped key says which one is missing', () => {
    const [oldKey, nextKey] = [newKey(), newKey()];
    process.env.BLOBFERRY_SEAL_KEY = oldKey;
    const before = seal('token', 'b');
    process.env.BLOBFERRY_SEAL_KEY = nextKey;
    process.env.BLOBFERRY_SEAL_KEYS_PREVIOUS = `${newKey()}, ${oldKey}`;
    assert.equal(unseal(before, 'b'), 'token');
    const after = seal('token', 'b');
    assert.notEqual(after.split(':')[2], before.split(':')[2], 'sealed under the new key id');
    delete process.env.BLOBFERRY_SEAL_KEYS_PREVIOUS;
    assert.equal(unseal(after, 'b'), 'token');
    assert.throws(() => unseal(before, 'b'), (err: { code: string; message: string }) => err.code === 'CONFIG_INVALID' && err.message.includes(before.split(':')[2]));
    process.env.BLOBFERRY_SEAL_KEYS_PREVIOUS = 'c2hvcnQ=';
    assert.throws(() => unseal(after, 'b'), { code: 'CONFIG_INVALID' }, 'a malformed previous key is a configuration error');
  });

  describe('a transfer\'s sides', () => {
    const options = CopyOptionsSchema.parse({});
    const source = parseLocation('https://victimsrc.blob.core.windows.net/private/reports/q3.pdf?sv=1&sp=r&sig=SOURCESIG', 'source');
    const destination = parseLocation('https://victimdst.blob.core.windows.net/backup/q3.pdf?sv=1&sp=rw&sig=DESTSIG', 'destination');
    const key = newKey();
    let victim: SealedTransfer;
    beforeEach(() => {
      actForLocalUser(); // some sides below are sealed for the CLI's user
      process.env.BLOBFERRY_SEAL_KEY = key;
      victim ??= sealTransfer(source, destination, options, 'remote');
    });
    const secretOf = (location: Location) => (location as BlobLocation).secret;

    it('carry no secret in the clear', () => assert.doesNotMatch(JSON.stringify(victim), /SOURCESIG|DESTSIG|"remote"/));
    it('open for the copy they were sealed for', async () => {
      assert.equal((await openSource(victim)).facts.container, 'https://victimsrc.blob.core.windows.net/private');
      assert.ok(await openDestination(victim));
    });
    const forgeries: Array<[string, () => SealedTransfer, (t: SealedTransfer) => Promise<unknown>]> = [
      ['the destination SAS moved to the source role', () => ({ ...victim, source: { ...source, account: 'victimdst', serviceUrl: 'https://victimdst.blob.core.windows.net', container: 'backup', path: 'q3.pdf', secret: secretOf(victim.destination) } as Location }), openSource],
      ['the source moved to another path', () => ({ ...victim, source: { ...victim.source, path: 'reports/salaries.xlsx' } as Location }), openSource],
      ['the source moved to another container', () => ({ ...victim, source: { ...victim.source, container: 'other' } as Location }), openSource],
      ['the destination swapped for the attacker\'s', () => ({ ...victim, destination: parseLocation('https://attacker.blob.core.windows.net/loot/x?sv=1&sig=MINE', 'destination') }), openSource],
      ['the options changed (a move instead of a copy)', () => ({ ...victim, options: { ...options, deleteSource: true } }), openSource],
      ['the grant of another copy', () => ({ ...victim, grant: sealTransfer(source, parseLocation('https://attacker.blob.core.windows.net/loot/x', 'destination'), options, 'user').grant }), openSource],
      ['no grant at all', () => ({ ...victim, grant: '' }), openDestination],
      ['a plain-text grant claiming to be the CLI', () => ({ ...victim, grant: 'user' }), openDestination],
      ['the source retyped from a blob into a plain URL', () => ({ ...victim, source: { kind: 'http', url: 'https://victimsrc.blob.core.windows.net/private/reports/q3.pdf', secret: secretOf(victim.source) } as Location }), openSource],
      ['the source account pointed at another host (a secondary rewrite)', () => ({ ...victim, source: { ...victim.source, serviceUrl: 'https://victimsrc.blob.core.windows-secondary.net', secondary: true } as Location }), openSource],
      ['the source marked as Azurite', () => ({ ...victim, source: { ...victim.source, emulator: true } as Location }), openSource],
    ];
    for (const [label, forge, open] of forgeries) it(`refuse ${label}: SEAL_MISMATCH`, () => assert.rejects(open(forge()), { code: 'SEAL_MISMATCH' }));

    it('touch no name outside their path, whatever an activity is handed (refused before any request)', async () => {
      const sourceEnd = await openSource(victim);
      await assert.rejects(sourceEnd.stat('reports/salaries.xlsx', { tags: false }), { code: 'SEAL_MISMATCH' });
      await assert.rejects(sourceEnd.stat('reports/q3.pdf/../../../azure-webjobs-secrets/host.json', { tags: false }), { code: 'SEAL_MISMATCH' });
      await assert.rejects(sourceEnd.listPage('', undefined, 10, { keep: () => true, tags: false }), { code: 'SEAL_MISMATCH' });
      await assert.rejects(sourceEnd.serviceAccess({ name: 'reports/other.pdf', size: 1, blobType: 'BlockBlob', properties: {} } as never), { code: 'SEAL_MISMATCH' });
      const nightly = sealTransfer(source, parseLocation('https://victimdst.blob.core.windows.net/backup/nightly/q3.pdf?sv=1&sig=D', 'destination'), options, 'user');
      await assert.rejects((await openDestination(nightly)).destinationState('weekly/q3.pdf'), { code: 'SEAL_MISMATCH' });
      const s3 = await openSource(sealTransfer(parseLocation('s3://company-data/exports/', 'source', {}), destination, options, 'user'));
      await assert.rejects(s3.stat('private/key.pem', { tags: false }), { code: 'SEAL_MISMATCH' });
    });

    it('a source only what it was given; a destination also its renamed copies; a prefix only under itself', () => {
      const allowed: Array<[string, string, 'source' | 'destination', boolean]> = [
        ['reports/q3.pdf', 'reports/q3.pdf', 'source', false],
        ['dir/a.txt', 'dir', 'source', true],
        ['any/thing', '', 'source', false],
        ['out/a.txt', 'out/', 'destination', false],
        ['backup/q3.pdf', 'backup/q3.pdf', 'destination', false],
        ['backup/q3_a1B2c3.pdf', 'backup/q3.pdf', 'destination', false],
        ['backup/README_x9y8z7', 'backup/README', 'destination', false],
      ];
      for (const [name, path, role, recursive] of allowed) assert.equal(inScope(name, nameScope(path, role, recursive)), name, `${name} in ${path}`);
      const refused: Array<[string, string, 'source' | 'destination', boolean]> = [
        ['reports/q3-salaries.xlsx', 'reports/q3', 'source', false],
        ['reports/q3.pdf.bak', 'reports/q3.pdf', 'source', false],
        ['reports/q3_a1B2c3.pdf', 'reports/q3.pdf', 'source', false],
        ['reports-private/a.txt', 'reports', 'source', true],
        ['other.txt', 'dir/', 'source', true],
        ['backup/other.pdf', 'backup/q3.pdf', 'destination', false],
        ['backup/q3_../../x.pdf', 'backup/q3.pdf', 'destination', false],
        ['backups/nightly-old/x', 'backups/nightly', 'destination', true],
      ];
      for (const [name, path, role, recursive] of refused) assert.throws(() => inScope(name, nameScope(path, role, recursive)), { code: 'SEAL_MISMATCH' }, `${name} in ${path}`);
    });
  });
});

describe('the access policy', () => {
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=blobferryapp;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    BLOBFERRY_ACCOUNT_KEY_KEYED: 'a2V5',
    ...extra,
  });
  const loc = (text: string, role: 'source' | 'destination' = 'source') => parseLocation(text, role, {});
  const check = (text: string, role: 'source' | 'destination', e: NodeJS.ProcessEnv) => authorize(loc(text, role), role, 'remote', e);
  const refusedAs = (code: string) => ({ code });

  it('lets the CLI\'s user name anything', () => {
    assert.ok(authorize(loc('http://127.0.0.1:18099/secret'), 'source', 'user', env()));
  });
  it('refuses the app\'s own credentials without a policy, and a caller\'s SAS needs none', () => {
    assert.throws(() => check('https://keyed.blob.core.windows.net/data/a.bin', 'source', env()), refusedAs('SOURCE_NOT_ALLOWED'));
    assert.throws(() => check('https://entraonly.blob.core.windows.net/data/a.bin', 'destination', env()), refusedAs('DESTINATION_NOT_ALLOWED'));
    assert.ok(check('https://keyed.blob.core.windows.net/data/a.bin?sv=1&sig=x', 'source', env()));
  });
  it('allows the app\'s credentials where a rule says so: that role, account, container and prefix only', () => {
    const e = env({ BLOBFERRY_ACCESS_POLICY: JSON.stringify([{ read: 'https://keyed.blob.core.windows.net/data/shared/' }, { write: 'https://entraonly.blob.core.windows.net/backup' }]) });
    assert.ok(check('https://keyed.blob.core.windows.net/data/shared/a.bin', 'source', e));
    assert.ok(check('https://keyed-secondary.blob.core.windows.net/data/shared/a.bin', 'source', e), 'the secondary of an allowed account');
    assert.ok(check('https://entraonly.blob.core.windows.net/backup/any/where.bin', 'destination', e));
    assert.throws(() => check('https://keyed.blob.core.windows.net/data/private/a.bin', 'source', e), refusedAs('SOURCE_NOT_ALLOWED'));
    assert.throws(() => check('https://keyed.blob.core.windows.net/other/shared/a.bin', 'source', e), refusedAs('SOURCE_NOT_ALLOWED'));
    assert.throws(() => check('https://keyed.blob.core.windows.net/data/shared/a.bin', 'destination', e), refusedAs('DESTINATION_NOT_ALLOWED'), 'read is not write');
    assert.throws(() => check('https://entraonly.blob.core.windows.net/backup/x', 'source', e), refusedAs('SOURCE_NOT_ALLOWED'), 'write is not read');
  });
  it('never opens the app\'s working storage to a remote caller, SAS or policy notwithstanding', () => {
    const e = env({ BLOBFERRY_ACCESS_POLICY: JSON.stringify([{ read: 'https://blobferryapp.blob.core.windows.net/azure-webjobs-secrets' }]) });
    for (const container of ['azure-webjobs-secrets', 'azure-webjobs-hosts', 'blobferry-leases', 'blobferry-largemessages', 'blobferry-applease', 'copy-results', 'scm-releases']) {
      assert.throws(() => check(`https://blobferryapp.blob.core.windows.net/${container}/x?sv=1&sig=x`, 'source', e), refusedAs('SOURCE_NOT_ALLOWED'), container);
      assert.throws(() => check(`https://blobferryapp.blob.core.windows.net/${container}/x?sv=1&sig=x`, 'destination', e), refusedAs('DESTINATION_NOT_ALLOWED'), container);
    }
    assert.throws(() => check('https://blobferryapp-secondary.blob.core.windows.net/azure-webjobs-secrets/x?sv=1&sig=x', 'source', e), refusedAs('SOURCE_NOT_ALLOWED'), 'through its secondary');
    assert.ok(check('https://blobferryapp.blob.core.windows.net/uploads/x?sv=1&sig=x', 'source', e), 'other containers of the app account, with a SAS');
    assert.throws(() => check('https://blobferryapp.blob.core.windows.net/mine/x?sv=1&sig=x', 'source', env({ BLOBFERRY_RESULTS_CONTAINER: 'mine' })), refusedAs('SOURCE_NOT_ALLOWED'), 'a renamed results container');
  });
  it('trusts the app\'s own storage endpoints on loopback (Azurite) and nothing else there', () => {
    const e = { AzureWebJobsStorage: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;' };
    assert.ok(check('http://127.0.0.1:10000/devstoreaccount1/data/a.bin', 'source', e));
    assert.throws(() => check('http://127.0.0.1:10000/devstoreaccount1/azure-webjobs-secrets/host.json', 'source', e), refusedAs('SOURCE_NOT_ALLOWED'));
    assert.throws(() => check('http://127.0.0.1:20000/devstoreaccount1/data/a.bin', 'source', e), refusedAs('SOURCE_NOT_ALLOWED'));
    assert.throws(() => check('http://localhost:10000/devstoreaccount1/data/a.bin', 'destination', e), refusedAs('DESTINATION_NOT_ALLOWED'), 'another name for the same socket is not the configured endpoint');
    assert.ok(check('http://127.0.0.1:10000/devstoreaccount1/data/a.bin', 'source', { AzureWebJobsStorage: 'UseDevelopmentStorage=true' }));
  });
  it('S3: s3:// borrows the app\'s AWS credentials (policy only); an https object URL is read anonymously instead', () => {
    assert.throws(() => check('s3://company-data/exports/x.csv', 'source', env()), refusedAs('SOURCE_NOT_ALLOWED'));
    assert.ok(check('s3://company-data/exports/x.csv', 'source', env({ BLOBFERRY_ACCESS_POLICY: '[{"read": "s3://company-data/exports/"}]' })));
    const anonymous = check('https://public-data.s3.us-east-1.amazonaws.com/x.csv', 'source', env());
    assert.equal((anonymous as { anonymousOnly?: boolean }).anonymousOnly, true);
    const presigned = check('https://company-data.s3.amazonaws.com/x.csv?X-Amz-Signature=abc&X-Amz-Credential=k', 'source', env());
    assert.equal(presigned.kind, 'http', 'a presigned URL is the caller\'s own grant');
  });
  it('refuses a policy it cannot read, saying how to write one', () => {
    for (const policy of ['{', '{"read": "x"}', '[{"read": 1}]', '[{"delete": "https://a.blob.core.windows.net/c"}]', '[{"read": "https://a.blob.core.windows.net/c?sv=1&sig=x"}]']) {
      assert.throws(() => check('https://keyed.blob.core.windows.net/data/a.bin', 'source', env({ BLOBFERRY_ACCESS_POLICY: policy })), refusedAs('CONFIG_INVALID'), policy);
    }
  });
});

describe('bounded text', () => {
  it('truncates long messages, saying how much was cut', () => {
    const cut = truncate('x'.repeat(10_000), 2000);
    assert.ok(cut.length <= 2000);
    assert.match(cut, /more characters\)$/);
    assert.equal(truncate('short', 2000), 'short');
  });
  it('counts a glob\'s wildcards and groups', () => {
    assert.equal(globComplexity('*.csv'), 1);
    assert.equal(globComplexity('2024/**/*.{csv,tsv}'), 3);
    assert.equal(globComplexity('+(a|b)?[0-9]'), 3);
  });
});
