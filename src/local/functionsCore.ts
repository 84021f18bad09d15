/**
 * A stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker injects
 * into the app's process. `@azure/functions` registers every function through it; without it the
 * library switches to "test mode" and registers nothing. The local host installs this stand-in
 * before it loads the app, so the app's own `app.http(...)`, `df.app.orchestration(...)` calls
 * are captured here and `src/functions/` stays the single list of what the app exposes.
 *
 * Only the surface @azure/functions 4.x uses is provided: setProgrammingModel, registerFunction,
 * registerHook (appStart, appTerminate, preInvocation, postInvocation) and log.
 */
import Module from 'node:module';
import { BlobferryError } from '../contracts/errors';
import { planOutputs, type OutputBinding } from './bindings/outputs';
import type { BindingInfo, FunctionMetadata, RpcInvocationResponse, RpcParameterBinding, RpcTypedData } from './rpcTypes';

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface CapturedFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
  /** The trigger binding (the one binding whose type ends in "Trigger"). */
  trigger: BindingInfo & { name: string };
  /** The storage blob and queue outputs the host writes after each invocation. */
  outputs: OutputBinding[];
}

/** The parts of @azure/functions' ProgrammingModel / InvocationModel the host drives. */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface CoreInvocationContext {
  invocationId: string;
  metadata: FunctionMetadata;
  request: { inputData: RpcParameterBinding[]; triggerMetadata?: Record<string, RpcTypedData> };
  state?: string;
  log(level: string, category: string, message: string): void;
}

type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation';
type HookCallback = (context: Record<string, unknown>) => unknown;

export type CoreLog = (level: string, category: string, message: string) => void;

export class FunctionsCore {
  readonly functions = new Map<string, CapturedFunction>();
  private programmingModel?: ProgrammingModel;
  private readonly hooks = new Map<HookName, HookCallback[]>();
  private readonly appHookData: Record<string, unknown> = {};
  private registrationOpen = true;

  constructor(private readonly log: CoreLog) {}

  /** The module object `require('@azure/functions-core')` returns inside the local host. */
  readonly api = {
    setProgrammingModel: (model: ProgrammingModel): void => {
      this.programmingModel = model;
    },
    getProgrammingModel: (): ProgrammingModel | undefined => this.programmingModel,
    registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback) => {
      if (!this.registrationOpen) {
        throw new BlobferryError('CONFIG_INVALID', `Function "${metadata.name}" was registered after the app started; register functions when the app's entry point loads.`);
      }
      const key = metadata.name.toLowerCase();
      if (this.functions.has(key)) {
        throw new BlobferryError('CONFIG_INVALID', `A function named "${metadata.name}" is already registered; function names must be unique (case-insensitive).`);
      }
      const trigger = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type));
      if (!trigger) {
        throw new BlobferryError('CONFIG_INVALID', `Function "${metadata.name}" has no trigger binding.`);
      }
      const triggerBinding = { ...trigger[1], name: trigger[0] };
      // A binding the host cannot honour stops it here, at start, rather than being dropped later.
      const outputs = planOutputs(metadata, triggerBinding);
      this.functions.set(key, { metadata, callback, trigger: triggerBinding, outputs });
      return { dispose: () => this.functions.delete(key) };
    },
    registerHook: (hookName: string, callback: HookCallback) => {
      if (!['appStart', 'appTerminate', 'preInvocation', 'postInvocation'].includes(hookName)) {
        // @azure/functions turns this RangeError into "requires a newer host" for log hooks.
        const err = new RangeError(`The local host does not support "${hookName}" hooks.`) as RangeError & { isAzureFunctionsSystemError?: boolean };
        err.isAzureFunctionsSystemError = true;
        throw err;
      }
      const list = this.hooks.get(hookName as HookName) ?? [];
      list.push(callback);
      this.hooks.set(hookName as HookName, list);
      return { dispose: () => list.splice(list.indexOf(callback), 1) };
    },
    log: (level: string, category: string, message: string): void => this.log(level, category, message),
  };

  get model(): ProgrammingModel {
    if (!this.programmingModel) {
      throw new BlobferryError('CONFIG_INVALID', 'The app registered no functions through @azure/functions, so there is nothing to host.');
    }
    return this.programmingModel;
  }

  closeRegistration(): void {
    this.registrationOpen = false;
  }

  find(name: string): CapturedFunction | undefined {
    return this.functions.get(name.toLowerCase());
  }

  async runAppHook(name: 'appStart' | 'appTerminate', functionAppDirectory: string): Promise<void> {
    for (const hook of this.hooks.get(name) ?? []) {
      await hook({ hookData: {}, appHookData: this.appHookData, functionAppDirectory });
    }
  }

  /**
   * Runs pre-invocation hooks (which may replace the handler or inputs), the function, then
   * post-invocation hooks (which may replace the result or error), as the Node worker does.
   */
  async invokeWithHooks(
    context: unknown,
    inputs: unknown[],
    callback: FunctionCallback,
    invoke: (inputs: unknown[], callback: FunctionCallback) => Promise<unknown>,
  ): Promise<unknown> {
    const hookData: Record<string, unknown> = {};
    const pre = { hookData, appHookData: this.appHookData, invocationContext: context, inputs, functionCallback: callback };
    for (const hook of this.hooks.get('preInvocation') ?? []) await hook(pre);
    let result: unknown;
    let error: unknown;
    try {
      result = await invoke(pre.inputs, pre.functionCallback);
    } catch (err) {
      error = err;
    }
    const post: Record<string, unknown> = { hookData, appHookData: this.appHookData, invocationContext: context, inputs: pre.inputs, result, error };
    for (const hook of this.hooks.get('postInvocation') ?? []) await hook(post);
    if (post.error !== undefined && post.error !== null) throw post.error;
    return post.result;
  }
}

const CORE_MODULE_ID = '@azure/functions-core';
let installed: FunctionsCore | undefined;

/**
 * Makes `require('@azure/functions-core')` return the stand-in, the way the Functions worker
 * injects the real one. Once per process: @azure/functions keeps the first module it sees.
 */
export function installFunctionsCore(log: CoreLog): FunctionsCore {
  if (installed) return installed;
  const core = new FunctionsCore(log);
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === CORE_MODULE_ID ? CORE_MODULE_ID : resolve.call(this, request, ...rest);
  };
  const cached = new Module(CORE_MODULE_ID);
  cached.filename = CORE_MODULE_ID;
  cached.loaded = true;
  cached.exports = core.api;
  require.cache[CORE_MODULE_ID] = cached;
  installed = core;
  return core;
}
