/**
 * What a test of the `blobferry` command needs, started before its tests and stopped after
 * them: a real Azurite, a fault proxy in front of it, a state folder for in-process copies, a
 * folder for local files, and the environment the command runs in.
 */
import { after, before } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from './azurite';
import { startStorageProxy, type StorageProxy } from './storageProxy';
import { makeTempDir, removeDir } from './temp';

export interface CliWorld {
  azurite: TestAzurite;
  proxy: StorageProxy;
  stateDir: string;
  /** A folder for the test's local files. */
  disk: string;
  /** Containers of the second account, created before the tests. */
  containers: Record<string, ContainerClient>;
  env(): NodeJS.ProcessEnv;
  /** A name (or a prefix ending in "/") in one of those containers, with a container SAS; through the proxy when asked. */
  url(container: string, name: string, options?: { viaProxy?: boolean; permissions?: string }): string;
}

export function cliWorld(label: string, containers: string[]): CliWorld {
  const world = { containers: {} } as CliWorld;
  before(async () => {
    world.azurite = await startTestAzurite();
    world.proxy = await startStorageProxy(world.azurite.blobPort);
    world.stateDir = makeTempDir(`blobferry-${label}-state-`);
    world.disk = makeTempDir(`blobferry-${label}-files-`);
    for (const name of containers) world.containers[name] = world.azurite.blobService(SECOND_ACCOUNT).getContainerClient(name);
    await Promise.all(Object.values(world.containers).map((c) => c.create()));
  });
  after(async () => {
    await world.proxy?.close();
    await world.azurite?.cleanup();
    removeDir(world.stateDir);
    removeDir(world.disk);
  });
  world.env = () => ({ ...process.env, BLOBFERRY_STATE_DIR: world.stateDir, BLOBFERRY_SEAL_KEY: '' });
  world.url = (container, name, options = {}) => {
    const origin = options.viaProxy ? world.proxy.origin : world.azurite.blobEndpoint(SECOND_ACCOUNT).replace(`/${SECOND_ACCOUNT}`, '');
    const sas = new URL(world.azurite.containerSasUrl(container, SECOND_ACCOUNT, options.permissions)).searchParams;
    return `${origin}/${SECOND_ACCOUNT}/${container}/${name.split('/').map(encodeURIComponent).join('/')}?${sas}`;
  };
  return world;
}
