// An ES module entry point of the glob app, loaded with import() as Azure's Node worker loads
// .mjs files: its top-level await is something require() cannot load, even where Node can
// require ES modules. Plain JavaScript: the tests copy it next to the compiled files. Test-only.
import functions from '@azure/functions';

const answer = await Promise.resolve({ pong: true, module: 'esm' });

functions.app.http('ping', {
  route: 'ping',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: answer }),
});
