/**
 * Orchestration history events in the shape the Durable extension serializes them for an
 * out-of-process worker (DurableTask.Core HistoryEvent, PascalCase fields). durable-functions'
 * replay engine reads: EventType, Timestamp, IsPlayed, TaskScheduledId (task and
 * sub-orchestration completions), TimerId (TimerFired), Name and Input (EventRaised), Result
 * (JSON text), Reason/Details or FailureDetails (failures).
 *
 * EventId: scheduling events (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated) carry
 * the sequence number the orchestrator gave the task; every other event carries -1.
 */
export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

/** FailureDetails as durable-functions reads them (TaskFailedError.toFailureDetails). */
export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
  Properties?: Record<string, unknown>;
  InnerFailure?: FailureDetails;
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Version?: string;
  Input?: string;
  Result?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetails;
  InstanceId?: string;
  OrchestrationStatus?: string;
  ParentInstance?: { Name: string; OrchestrationInstance: { InstanceId: string; ExecutionId: string }; TaskScheduleId: number };
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
}

/** A failure as the extension reports it for tasks and sub-orchestrations. */
export interface Failure {
  Reason: string;
  Details?: string;
  FailureDetails?: FailureDetails;
}

const base = (EventType: EventType, Timestamp: string, EventId = -1): HistoryEvent => ({ EventType, EventId, IsPlayed: false, Timestamp });

export const history = {
  executionStarted(ts: string, name: string, input: string | undefined, instance: { InstanceId: string; ExecutionId: string }, parent?: HistoryEvent['ParentInstance']): HistoryEvent {
    return { ...base(EventType.ExecutionStarted, ts), Name: name, Version: '', Input: input, OrchestrationInstance: instance, ...(parent ? { ParentInstance: parent } : {}) };
  },
  orchestratorStarted: (ts: string): HistoryEvent => base(EventType.OrchestratorStarted, ts),
  orchestratorCompleted: (ts: string): HistoryEvent => base(EventType.OrchestratorCompleted, ts),
  taskScheduled: (ts: string, id: number, name: string, input: string | undefined): HistoryEvent => ({ ...base(EventType.TaskScheduled, ts, id), Name: name, Version: '', Input: input }),
  taskCompleted: (ts: string, taskScheduledId: number, result: string): HistoryEvent => ({ ...base(EventType.TaskCompleted, ts), TaskScheduledId: taskScheduledId, Result: result }),
  // durable-functions needs both Reason and Details as strings to read a failure without FailureDetails.
  taskFailed: (ts: string, taskScheduledId: number, failure: Failure): HistoryEvent => ({ ...base(EventType.TaskFailed, ts), TaskScheduledId: taskScheduledId, ...failure, Details: failure.Details ?? '' }),
  timerCreated: (ts: string, id: number, fireAt: string): HistoryEvent => ({ ...base(EventType.TimerCreated, ts, id), FireAt: fireAt }),
  timerFired: (ts: string, timerId: number, fireAt: string): HistoryEvent => ({ ...base(EventType.TimerFired, ts), TimerId: timerId, FireAt: fireAt }),
  subOrchestrationCreated: (ts: string, id: number, name: string, instanceId: string, input: string | undefined): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceCreated, ts, id),
    Name: name,
    Version: '',
    InstanceId: instanceId,
    Input: input,
  }),
  subOrchestrationCompleted: (ts: string, taskScheduledId: number, result: string): HistoryEvent => ({ ...base(EventType.SubOrchestrationInstanceCompleted, ts), TaskScheduledId: taskScheduledId, Result: result }),
  subOrchestrationFailed: (ts: string, taskScheduledId: number, failure: Failure): HistoryEvent => ({ ...base(EventType.SubOrchestrationInstanceFailed, ts), TaskScheduledId: taskScheduledId, ...failure, Details: failure.Details ?? '' }),
  eventRaised: (ts: string, name: string, input: string | undefined): HistoryEvent => ({ ...base(EventType.EventRaised, ts), Name: name, Input: input }),
  executionCompleted: (ts: string, status: 'Completed' | 'Failed', result: string | undefined, failureDetails?: FailureDetails): HistoryEvent => ({
    ...base(EventType.ExecutionCompleted, ts),
    OrchestrationStatus: status,
    Result: result,
    ...(failureDetails ? { FailureDetails: failureDetails } : {}),
  }),
  executionTerminated: (ts: string, reason: string): HistoryEvent => ({ ...base(EventType.ExecutionTerminated, ts), Input: reason }),
  executionSuspended: (ts: string, reason: string): HistoryEvent => ({ ...base(EventType.ExecutionSuspended, ts), Reason: reason }),
  executionResumed: (ts: string, reason: string): HistoryEvent => ({ ...base(EventType.ExecutionResumed, ts), Reason: reason }),
};
