// The request's and the Durable runtime's lists, as the page offers them. The page has no build
// step, so it cannot import src/contracts; test/unit/dashboardFormat.test.ts checks these match
// (OVERWRITE_POLICIES, STRATEGIES, VERIFY_MODES in contracts/copyRequest.ts, RUNTIME_STATUSES in contracts/copyList.ts).
export const OVERWRITE_POLICIES = ['never', 'always', 'if-source-newer', 'rename', 'if-different'];
export const STRATEGIES = ['auto', 'server-copy', 'sync-copy', 'block-copy', 'relay'];
export const VERIFY_MODES = ['size', 'md5'];
export const RUNTIME_STATUSES = ['Pending', 'Running', 'Completed', 'Failed', 'Terminated', 'Suspended'];
