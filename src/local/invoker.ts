/**
 * Invokes a captured function the way the Node.js worker does: through @azure/functions' own
 * InvocationModel, which turns RPC-shaped input data into the handler's arguments (HttpRequest,
 * parsed JSON, InvocationContext with extraInputs) and the handler's result back into RPC data.
 * The app's handlers therefore see exactly what they see in Azure.
 */
import { randomUUID } from 'node:crypto';
import { BlobferryError } from '../contracts/errors';
import type { CapturedFunction, FunctionsCore, RpcInvocationResponse, RpcParameterBinding, RpcTypedData } from './functionsCore';
import type { Logger } from './logger';

export interface Invocation {
  fn: CapturedFunction;
  /** Data for the trigger binding. */
  triggerData: RpcTypedData | undefined;
  /** Data for extra input bindings, by binding type (durable client bindings are filled by the invoker). */
  extraInputs?: Record<string, RpcTypedData>;
  triggerMetadata?: Record<string, RpcTypedData>;
}

/** Input bindings the host fills for any function that declares them (HTTP, activity, queue...). */
const CLIENT_BINDINGS = new Set(['durableClient', 'orchestrationClient']);

export class Invoker {
  constructor(
    private readonly core: FunctionsCore,
    private readonly logger: Logger,
    /** What a durable client binding carries (task hub, management URLs); known once the host listens. */
    private readonly durableClientData: () => Record<string, unknown> = () => ({}),
  ) {}

  /** Runs the function; resolves with the RPC response, rejects with what the handler threw. */
  async invoke(call: Invocation): Promise<RpcInvocationResponse> {
    const { fn } = call;
    const inputData: RpcParameterBinding[] = [{ name: fn.trigger.name, data: call.triggerData }];
    for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'in' || bindingName === fn.trigger.name) continue;
      const data = call.extraInputs?.[binding.type] ?? (CLIENT_BINDINGS.has(binding.type) ? { string: JSON.stringify(this.durableClientData()) } : undefined);
      if (data === undefined) {
        throw new BlobferryError('NOT_SUPPORTED', `Function "${fn.metadata.name}" has an input binding of type "${binding.type}", which the local host does not provide.`);
      }
      inputData.push({ name: bindingName, data });
    }
    const invocationId = randomUUID();
    const functionName = fn.metadata.name;
    const model = this.core.model.getInvocationModel({
      invocationId,
      metadata: fn.metadata,
      request: { inputData, triggerMetadata: call.triggerMetadata },
      log: (level, category, message) => this.logger.functionLog(functionName, level, category, message),
    });
    const { context, inputs } = await model.getArguments();
    const result = await this.core.invokeWithHooks(context, inputs, fn.callback, (hookedInputs, handler) =>
      model.invokeFunction(context, hookedInputs, handler),
    );
    return model.getResponse(context, result);
  }
}

/** The JSON text a typed value stands for ("null" when there is none), as the extension stores results. */
export function typedDataToJsonText(data: RpcTypedData | null | undefined): string {
  if (!data) return 'null';
  if (data.json !== undefined && data.json !== null) return data.json;
  if (data.string !== undefined && data.string !== null) return JSON.stringify(data.string);
  if (data.int !== undefined && data.int !== null) return JSON.stringify(data.int);
  if (data.double !== undefined && data.double !== null) return JSON.stringify(data.double);
  const bytes = data.bytes ?? data.stream;
  if (bytes) return JSON.stringify(Buffer.from(bytes).toString('base64'));
  return 'null';
}
