/**
 * Entry point of the Azurite child process the local host and the tests fork. It runs
 * Azurite's own CLI from the project's dependencies, and shuts it down when the parent goes
 * away: a parent killed with SIGKILL cannot stop its children, but its IPC channel closes.
 */
const cli = require.resolve('azurite/dist/src/azurite.js');
process.on('disconnect', () => {
  // Azurite's CLI stops its servers on SIGTERM; the process then exits on its own.
  process.emit('SIGTERM');
  setTimeout(() => process.exit(0), 5000).unref();
});
// The IPC channel is only there to notice the parent's death; it must not keep Azurite alive
// after a SIGTERM has closed its servers.
process.channel?.unref();
process.argv = [process.argv[0], cli, ...process.argv.slice(2)];
require(cli);
