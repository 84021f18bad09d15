/**
 * The glob app's HTTP starter, as in the durable-functions samples: POST
 * /api/orchestrators/{orchestratorName} starts an orchestration and answers 202 with the
 * management URLs. Test-only.
 */
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

app.http('durableHttpStart', {
  route: 'orchestrators/{orchestratorName}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    const client = df.getClient(context);
    const body = await request.text();
    const instanceId = await client.startNew(request.params.orchestratorName, { input: body ? JSON.parse(body) : undefined });
    context.log(`Started orchestration with ID = '${instanceId}'.`);
    return client.createCheckStatusResponse(request, instanceId);
  },
});
