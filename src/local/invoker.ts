/**
 * Invokes a captured function the way the Node.js worker does: through @azure/functions' own
 * InvocationModel, which turns RPC-shaped input data into the handler's arguments (HttpRequest,
 * parsed JSON, InvocationContext with extraInputs) and the handler's result back into RPC data.
 * The app's handlers therefore see exactly what they see in Azure. After the function returns,
 * its storage blob and queue outputs are written (bindings/outputs.ts), with the paths'
 * binding expressions read from the trigger's data, before the invocation counts as done.
 */
import { randomUUID } from 'node:crypto';
import { writeOutputs } from './bindings/outputs';
import { triggerBindingData } from './bindings/triggerData';
import type { CapturedFunction, FunctionsCore } from './functionsCore';
import type { RpcInvocationResponse, RpcParameterBinding, RpcTypedData } from './rpcTypes';
import type { Logger } from './logger';

export interface Invocation {
  fn: CapturedFunction;
  /** Data for the trigger binding. */
  triggerData: RpcTypedData | undefined;
  triggerMetadata?: Record<string, RpcTypedData>;
}

export class Invoker {
  constructor(
    private readonly core: FunctionsCore,
    private readonly logger: Logger,
    /** What a durable client binding carries (task hub, management URLs); known once the host listens. */
    private readonly durableClientData: () => Record<string, unknown> = () => ({}),
    /** host.json extensions.queues.messageEncoding, for queue outputs (the Functions default: base64). */
    private readonly queueMessageEncoding: 'base64' | 'none' = 'base64',
  ) {}

  /**
   * Runs the function and writes its outputs; resolves with the RPC response, rejects with what
   * the handler threw or with the output that could not be written.
   */
  async invoke(call: Invocation): Promise<RpcInvocationResponse> {
    const { fn } = call;
    const inputData: RpcParameterBinding[] = [{ name: fn.trigger.name, data: call.triggerData }];
    for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
      // Registration let through durable client inputs only (bindings/outputs.ts, planOutputs).
      if (binding.direction !== 'in' || bindingName === fn.trigger.name) continue;
      inputData.push({ name: bindingName, data: { string: JSON.stringify(this.durableClientData()) } });
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
    const response = await model.getResponse(context, result);
    if (fn.outputs.length > 0) {
      const data = triggerBindingData(fn.trigger.type, call.triggerData, call.triggerMetadata);
      await writeOutputs(fn.outputs, response, { functionName, data, messageEncoding: this.queueMessageEncoding });
    }
    return response;
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
