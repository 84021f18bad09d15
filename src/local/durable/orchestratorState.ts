/**
 * What durable-functions' orchestrator handler returns to the host, and how the host reads it.
 * This is the contract with the library's internals (pinned version); the contract test in
 * test/unit/durableContract.test.ts fails loudly if any of it moves.
 *
 * On success the handler returns an OrchestratorState: {isDone, actions, output, customStatus,
 * schemaVersion}. On an orchestrator exception it throws an OrchestrationFailureError whose
 * message is `<something>\n\n$OutOfProcData$:<OrchestratorState JSON>`, the state's `error`
 * holding the exception's message.
 * `actions` is always `[[...every action since the execution started...]]` for schema >= V2,
 * compound actions (Task.all / Task.any) nesting their children in `compoundActions`.
 */

export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  WhenAny = 11,
  WhenAll = 12,
  LockEntities = 13,
  ReleaseEntities = 14,
}

export interface RetryOptionsData {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface ActionData {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  retryOptions?: RetryOptionsData;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: ActionData[];
}

export interface OrchestratorStateData {
  isDone: boolean;
  actions: ActionData[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

export type OrchestratorOutcome =
  | { kind: 'state'; state: OrchestratorStateData }
  | { kind: 'failed'; message: string; state?: OrchestratorStateData; failureDetails?: unknown };

const OUT_OF_PROC_MARKER = '\n\n$OutOfProcData$:';

/** Reads what the handler threw: the orchestrator's own message and the state it reached. */
export function outcomeFromError(err: unknown): OrchestratorOutcome {
  const text = err instanceof Error ? err.message : String(err);
  const at = text.indexOf(OUT_OF_PROC_MARKER);
  if (at < 0) return { kind: 'failed', message: text };
  const message = text.slice(0, at);
  try {
    const state = JSON.parse(text.slice(at + OUT_OF_PROC_MARKER.length)) as OrchestratorStateData & { failureDetails?: unknown };
    // The text before the marker is not the orchestrator's error (durable-functions 3.x puts
    // `orchestratorReturned` there); the state's `error` field is.
    return { kind: 'failed', message: state.error ?? message, state, failureDetails: state.failureDetails };
  } catch {
    return { kind: 'failed', message };
  }
}

/** Every atomic action in the order the engine handed out sequence numbers: depth-first. */
export function flattenActions(state: OrchestratorStateData): ActionData[] {
  const flat: ActionData[] = [];
  const visit = (action: ActionData) => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) visit(child);
    } else {
      flat.push(action);
    }
  };
  for (const group of state.actions ?? []) for (const action of group ?? []) visit(action);
  return flat;
}

/**
 * The JSON text of an action's input. durable-functions pre-serializes string inputs of
 * activities and continueAsNew (Utils.processInput), so there a string already is JSON text;
 * sub-orchestration inputs are passed as they are.
 */
export function actionInputJsonText(action: ActionData): string | undefined {
  const value = action.input;
  if (value === undefined || value === null) return value === null ? 'null' : undefined;
  const preSerialized =
    action.actionType === ActionType.CallActivity ||
    action.actionType === ActionType.CallActivityWithRetry ||
    action.actionType === ActionType.ContinueAsNew;
  return preSerialized && typeof value === 'string' ? value : JSON.stringify(value);
}
