/**
 * An instance as the Durable HTTP API reports it: name, instanceId, runtimeStatus, input,
 * customStatus, output, createdTime, lastUpdatedTime and, on request, historyEvents in the
 * extension's summarized form (scheduling events folded into their completions).
 */
import type { HistoryEvent } from './history';
import { EventType } from './history';
import type { Instance, RuntimeStatus } from './state';

export interface StatusOptions {
  showHistory?: boolean;
  showHistoryOutput?: boolean;
  showInput?: boolean;
}

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Array<Record<string, unknown>>;
}

export function toStatus(instance: Instance, options: StatusOptions): InstanceStatus {
  const status: InstanceStatus = {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus: instance.status,
    input: options.showInput === false ? null : parseJson(instance.input),
    customStatus: parseJson(instance.customStatus),
    output: parseJson(instance.output),
    createdTime: toSeconds(instance.createdTime),
    lastUpdatedTime: toSeconds(instance.lastUpdatedTime),
  };
  if (options.showHistory) status.historyEvents = summarizeHistory(instance.history, options.showHistoryOutput ?? false);
  return status;
}

/** The extension's history view: one entry per outcome, with the function name and when it was scheduled. */
export function summarizeHistory(history: HistoryEvent[], showOutput: boolean): Array<Record<string, unknown>> {
  const scheduled = new Map<number, HistoryEvent>();
  const timers = new Map<number, HistoryEvent>();
  const out: Array<Record<string, unknown>> = [];
  const result = (text: string | undefined) => (showOutput ? parseJson(text) : undefined);
  for (const e of history) {
    const type = EventType[e.EventType];
    switch (e.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(e.EventId, e);
        break;
      case EventType.TimerCreated:
        timers.set(e.EventId, e);
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        break;
      case EventType.ExecutionStarted:
        out.push(clean({ EventType: type, FunctionName: e.Name, Correlation: null, Timestamp: e.Timestamp }));
        break;
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted: {
        const s = scheduled.get(e.TaskScheduledId ?? -1);
        out.push(clean({ EventType: type, FunctionName: s?.Name, InstanceId: s?.InstanceId, Result: result(e.Result), ScheduledTime: s?.Timestamp, Timestamp: e.Timestamp }));
        break;
      }
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = scheduled.get(e.TaskScheduledId ?? -1);
        out.push(clean({ EventType: type, FunctionName: s?.Name, InstanceId: s?.InstanceId, Reason: e.Reason ?? e.FailureDetails?.ErrorMessage, Details: showOutput ? e.Details : undefined, ScheduledTime: s?.Timestamp, Timestamp: e.Timestamp }));
        break;
      }
      case EventType.TimerFired:
        out.push(clean({ EventType: type, TimerId: e.TimerId, FireAt: e.FireAt, ScheduledTime: timers.get(e.TimerId ?? -1)?.Timestamp, Timestamp: e.Timestamp }));
        break;
      case EventType.EventRaised:
        out.push(clean({ EventType: type, Name: e.Name, Input: result(e.Input), Timestamp: e.Timestamp }));
        break;
      case EventType.ExecutionCompleted:
        out.push(clean({ EventType: type, OrchestrationStatus: e.OrchestrationStatus, Result: result(e.Result), FailureDetails: e.FailureDetails, Timestamp: e.Timestamp }));
        break;
      case EventType.ExecutionTerminated:
        out.push(clean({ EventType: type, Input: e.Input, Timestamp: e.Timestamp }));
        break;
      default:
        out.push(clean({ EventType: type, Reason: e.Reason, Timestamp: e.Timestamp }));
    }
  }
  return out;
}

function clean(entry: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
  return entry;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The API reports times to the second, like the extension ("2024-05-01T10:00:00Z"). */
function toSeconds(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}
