import { app } from '@azure/functions';

const { version } = require('../../../package.json') as { version: string };

/** GET /api/health: the app is loaded and answering. For load balancers and `npm start` checks. */
app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: { status: 'ok', app: 'blobferry', version } }),
});
