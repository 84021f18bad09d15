/**
 * A foreign Durable Functions v4 app, shaped like the durable-functions samples (one file per
 * concern under functions/, package.json "main": "functions/*.js"), for the local host's tests
 * of a glob "main". This file: the orchestration and its activity. Test-only.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';

df.app.activity('sayHello', { handler: (city: string) => `Hello ${city}` });

df.app.orchestration('helloSequence', function* (context: OrchestrationContext) {
  const cities = (context.df.getInput() as string[] | undefined) ?? ['Tokyo', 'Seattle', 'Cairo'];
  const greetings: string[] = [];
  for (const city of cities) greetings.push((yield context.df.callActivity('sayHello', city)) as string);
  return greetings;
});
