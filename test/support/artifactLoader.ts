/**
 * `node artifactLoader.js <artifact>`: loads a deployable artifact's entry points the way
 * Azure's Node worker does (package.json "main" expanded, each file required in order) with
 * the local host's @azure/functions-core stand-in recording what @azure/functions registers.
 * Prints one JSON object: the registrations, and every module the app loaded. The stand-in
 * comes from the project's build; nothing of it is in the artifact.
 */
import { installFunctionsCore } from '../../src/local/functionsCore';
import { appEntryPoints } from '../../src/local/hostConfig';

const artifact = process.argv[2];
const core = installFunctionsCore(() => undefined);
const before = new Set(Object.keys(require.cache));
const entryPoints = appEntryPoints(artifact);
for (const file of entryPoints) require(file);
process.stdout.write(
  JSON.stringify({
    entryPoints,
    programmingModel: core.model.name,
    functions: [...core.functions.values()].map((fn) => fn.metadata),
    modules: Object.keys(require.cache).filter((m) => !before.has(m)),
  }),
);
