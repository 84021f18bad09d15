/** What most copy tests start with: Azurite (two accounts), the app on a local host, and a source and a target container. */
import { after, before } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from './azurite';
import { startCopyHost, type CopyHost } from './copyHost';
import { startStorageProxy, type StorageProxy } from './storageProxy';

export interface CopyFixture {
  azurite: TestAzurite;
  copies: CopyHost;
  /** "source" in the development account. */
  source: ContainerClient;
  /** "target" in the second account. */
  target: ContainerClient;
  stop(): Promise<void>;
}

export async function startCopyFixture(): Promise<CopyFixture> {
  const [azurite, copies] = await Promise.all([startTestAzurite(), startCopyHost()]);
  const source = azurite.blobService().getContainerClient('source');
  const target = azurite.blobService(SECOND_ACCOUNT).getContainerClient('target');
  await Promise.all([source.create(), target.create()]);
  return {
    azurite,
    copies,
    source,
    target,
    async stop() {
      await copies.stop();
      await azurite.cleanup();
    },
  };
}

/** The same, with the fault-injecting storage proxy in front of Azurite (it can write destinations with the accounts' keys). */
export type ProxiedCopyFixture = CopyFixture & { proxy: StorageProxy };

export async function startProxiedCopyFixture(): Promise<ProxiedCopyFixture> {
  const fixture = await startCopyFixture();
  const proxy = await startStorageProxy(fixture.azurite.blobPort, { accounts: fixture.azurite.accounts });
  return {
    ...fixture,
    proxy,
    async stop() {
      await proxy.close();
      await fixture.stop();
    },
  };
}

/**
 * The fixture for a whole test file: started before its tests, stopped after them. The object
 * returned is filled in when the fixture has started (read its fields inside tests and hooks).
 */
export function useCopyFixture(): CopyFixture {
  const fixture = {} as CopyFixture;
  before(async () => void Object.assign(fixture, await startCopyFixture()));
  after(() => fixture.stop());
  return fixture;
}
