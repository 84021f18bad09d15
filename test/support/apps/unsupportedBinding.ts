/**
 * A v4 app with an output binding the local host does not implement (a Service Bus queue):
 * the host must refuse to start, naming the function and the binding, instead of dropping it.
 * Test-only.
 */
import { app, output, type HttpRequest, type InvocationContext } from '@azure/functions';

const notifications = output.serviceBusQueue({ queueName: 'notifications', connection: 'SERVICE_BUS' });

app.http('notifyOrders', {
  route: 'notify',
  methods: ['POST'],
  extraOutputs: [notifications],
  handler: (_request: HttpRequest, context: InvocationContext) => {
    context.extraOutputs.set(notifications, { hello: 'world' });
    return { status: 202 };
  },
});
