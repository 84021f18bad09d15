// azd postdeploy hook: once the app (and so its blobCreated function) is deployed, provision again
// with the Event Grid subscription on. Event Grid refuses a subscription to a function that does
// not exist yet, which is the case during the first `azd up`'s provision. azd passes the
// environment's values (and the Bicep outputs) to hooks as environment variables.
'use strict';
const { spawnSync } = require('node:child_process');

const azd = (...args) => spawnSync('azd', args, { stdio: 'inherit', shell: process.platform === 'win32' }).status === 0;

if (process.env.MIRROR_ENABLED !== 'true') {
  process.exit(0);
}
if (process.env.BLOBFERRY_MIRROR_SUBSCRIBED === 'true') {
  process.exit(0);
}
console.log('Subscribing blobCreated to the mirror source account\'s BlobCreated events (azd provision)...');
if (!azd('env', 'set', 'BLOBFERRY_MIRROR_SUBSCRIBED', 'true') || !azd('provision', '--no-prompt')) {
  // Leave the flag as it was, so the next `azd deploy` (or `azd provision`) tries again.
  azd('env', 'set', 'BLOBFERRY_MIRROR_SUBSCRIBED', 'false');
  console.error('The Event Grid subscription was not created; see the error above, then run azd deploy again.');
  process.exit(1);
}
