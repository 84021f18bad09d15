/**
 * One orchestration episode, as the Durable extension runs it for an out-of-process worker:
 * take new events from the inbox, replay the orchestrator over its history plus those events,
 * and turn the actions it has not scheduled yet into history events and work.
 *
 * Pure planning, no I/O: `selectBatch` and `buildTriggerPayload` before the orchestrator runs,
 * `planEpisode` after. The engine does the running and the writing.
 *
 * Sequence numbers. durable-functions' engine numbers its tasks itself and matches only
 * completion events to them, so the host must hand out the same numbers in the same order:
 * every new CallActivity, CallSubOrchestrator and CreateTimer action (cancelled ones too) takes
 * the next number, depth-first through Task.all/Task.any; WaitForExternalEvent and
 * ContinueAsNew take none. Two kinds of events take numbers while the engine processes them,
 * before user code runs again: a retried task's failure (its delay timer) and that timer firing
 * (the next attempt), and a long timer's segment firing early (the next segment). Such an event
 * is delivered alone in its episode, so its numbers come first and the new actions after: the
 * same order the engine uses, without guessing how user code interleaves.
 */
import type { Failure, FailureDetails, HistoryEvent } from './history';
import { EventType, history as events } from './history';
import type { ActionData, OrchestratorOutcome, OrchestratorStateData } from './orchestratorState';
import { ActionType, actionInputJsonText, flattenActions } from './orchestratorState';
import { retryDelayMs, retryTimeoutExpired } from './retry';
import type { ActivityWork, EpisodeRecord, Instance, Ledger, Message, NewInstance, RetryGroup, RuntimeStatus, TimerWork } from './state';
import { formatTimeSpan } from '../timespan';

export interface DurableTimerOptions {
  /** Timers further away than this are split into segments (extension: 6 days on Azure Storage). */
  maximumShortTimerMs: number;
  /** Length of one long-timer segment (extension: 3 days). */
  longRunningTimerIntervalMs: number;
}

export interface Batch {
  deliver: Message[];
  /** Messages for an execution that is gone (before a continueAsNew): dropped unread. */
  discard: string[];
}

/** The messages the next episode takes: plain events together, a numbering event alone. */
export function selectBatch(instance: Instance): Batch {
  const deliver: Message[] = [];
  const discard: string[] = [];
  for (const message of instance.inbox) {
    if (message.executionId && message.executionId !== instance.executionId) {
      discard.push(message.id);
      continue;
    }
    const numbering = takesNumbersWhenProcessed(instance.ledger, message.event);
    if (numbering && deliver.length > 0) break;
    deliver.push(message);
    if (numbering) break;
  }
  return { deliver, discard };
}

function takesNumbersWhenProcessed(ledger: Ledger, event: HistoryEvent): boolean {
  switch (event.EventType) {
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceFailed:
      return String(event.TaskScheduledId) in ledger.retryTasks;
    case EventType.TimerFired:
      return String(event.TimerId) in ledger.retryTimers || String(event.TimerId) in ledger.longTimers;
    default:
      return false;
  }
}

/** The orchestration trigger's input, as the extension sends it to the worker (schema V3). */
export function buildTriggerPayload(instance: Instance, batch: Message[], now: string, timers: DurableTimerOptions): Record<string, unknown> {
  return {
    history: [...instance.history, events.orchestratorStarted(now), ...batch.map((m) => m.event)],
    input: instance.input === undefined ? undefined : JSON.parse(instance.input),
    instanceId: instance.instanceId,
    isReplaying: instance.history.length > 0,
    parentInstanceId: instance.parent?.instanceId,
    upperSchemaVersion: 2,
    upperSchemaVersionNew: 2,
    maximumShortTimerDuration: formatTimeSpan(timers.maximumShortTimerMs),
    longRunningTimerIntervalDuration: formatTimeSpan(timers.longRunningTimerIntervalMs),
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

export interface EpisodeInput {
  instance: Instance;
  batch: Batch;
  now: string;
  outcome: OrchestratorOutcome;
  /** Timers of this instance still waiting to fire. */
  pendingTimers: TimerWork[];
  timers: DurableTimerOptions;
  isOrchestrator(name: string): boolean;
  newId(): string;
}

/** Builds the episode's record from what the orchestrator returned. */
export function planEpisode(input: EpisodeInput): EpisodeRecord {
  const { instance, batch, now } = input;
  const plan = new EpisodePlan(input);
  plan.append.push(events.orchestratorStarted(now), ...batch.deliver.map((m) => m.event));
  for (const message of batch.deliver) plan.processDelivered(message.event);

  const { outcome } = input;
  if (outcome.kind === 'failed') {
    plan.fail(`Orchestrator function '${instance.name}' failed: ${outcome.message}`, outcome.state?.customStatus, toFailureDetails(outcome.failureDetails, outcome.message));
  } else {
    plan.applyState(outcome.state);
  }
  return plan.record();
}

class EpisodePlan {
  readonly append: HistoryEvent[] = [];
  private readonly ledger: Ledger;
  private readonly activities: ActivityWork[] = [];
  private readonly timers: TimerWork[] = [];
  private readonly cancelTimers: string[] = [];
  private readonly send: EpisodeRecord['send'] = [];
  private readonly start: NewInstance[] = [];
  private status: RuntimeStatus = 'Running';
  private output?: string;
  private customStatus?: string;
  private continueAsNew?: EpisodeRecord['continueAsNew'];
  private readonly instance: Instance;
  private readonly now: string;

  constructor(private readonly input: EpisodeInput) {
    this.instance = input.instance;
    this.now = input.now;
    const l = input.instance.ledger;
    this.ledger = {
      nextId: l.nextId,
      actionCount: l.actionCount,
      retryGroups: { ...l.retryGroups },
      retryTasks: { ...l.retryTasks },
      retryTimers: { ...l.retryTimers },
      longTimers: { ...l.longTimers },
    };
  }

  /** Bookkeeping the engine does when it processes a delivered event. */
  processDelivered(event: HistoryEvent): void {
    const { ledger } = this;
    switch (event.EventType) {
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
        this.forgetRetryGroup(String(event.TaskScheduledId));
        break;
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: {
        const key = ledger.retryTasks[String(event.TaskScheduledId)];
        if (key === undefined) break;
        delete ledger.retryTasks[String(event.TaskScheduledId)];
        const group = (ledger.retryGroups[key] = { ...ledger.retryGroups[key], lastFailure: failureOf(event) });
        // The engine waits for a delay timer after every failed attempt, the last one too;
        // after the last (or once the retry timeout passed) it fires at once and the error surfaces.
        const last = group.attempts >= group.options.maxNumberOfAttempts || retryTimeoutExpired(group.options, group.firstAttemptAt, this.now);
        const timerId = this.scheduleTimer(last ? 0 : retryDelayMs(group.options, group.attempts - 1));
        ledger.retryTimers[String(timerId)] = key;
        break;
      }
      case EventType.TimerFired: {
        const timerKey = String(event.TimerId);
        const retryKey = ledger.retryTimers[timerKey];
        if (retryKey !== undefined) {
          delete ledger.retryTimers[timerKey];
          this.nextAttempt(retryKey);
          break;
        }
        const long = ledger.longTimers[timerKey];
        if (long) {
          delete ledger.longTimers[timerKey];
          if (Date.parse(long.finalFireAt) > Date.parse(this.now)) this.scheduleLongTimerSegment(long.finalFireAt, long.actionIndex);
        }
        break;
      }
    }
  }

  applyState(state: OrchestratorStateData): void {
    const flat = flattenActions(state);
    const fresh = flat.slice(this.ledger.actionCount);
    this.ledger.actionCount = flat.length;
    this.customStatus = state.customStatus === undefined ? undefined : JSON.stringify(state.customStatus);

    for (const [offset, action] of fresh.entries()) {
      const unsupported = this.scheduleAction(action, this.ledger.actionCount - fresh.length + offset);
      if (unsupported) {
        this.fail(`Orchestrator function '${this.instance.name}' failed: ${unsupported}`, state.customStatus);
        return;
      }
    }
    for (const timer of this.input.pendingTimers) {
      if (timer.actionIndex !== undefined && flat[timer.actionIndex]?.isCanceled) this.cancelTimers.push(timer.id);
    }
    this.append.push(events.orchestratorCompleted(this.now));

    if (!state.isDone) return;
    const continued = flat.find((a) => a.actionType === ActionType.ContinueAsNew);
    if (continued) {
      this.continueAsNew = { executionId: this.input.newId(), input: actionInputJsonText(continued) };
      return;
    }
    this.status = 'Completed';
    this.output = state.output === undefined ? undefined : JSON.stringify(state.output);
    this.append.push(events.executionCompleted(this.now, 'Completed', this.output));
    this.notifyParent((taskId) => events.subOrchestrationCompleted(this.now, taskId, this.output ?? 'null'));
  }

  fail(message: string, customStatus: unknown, failureDetails?: FailureDetails): void {
    this.status = 'Failed';
    this.output = JSON.stringify(message);
    if (customStatus !== undefined) this.customStatus = JSON.stringify(customStatus);
    this.activities.length = 0;
    this.timers.length = 0;
    this.start.length = 0;
    this.append.push(events.executionCompleted(this.now, 'Failed', this.output, failureDetails));
    this.notifyParent((taskId) => events.subOrchestrationFailed(this.now, taskId, { Reason: message, ...(failureDetails ? { FailureDetails: failureDetails } : {}) }));
  }

  record(): EpisodeRecord {
    return {
      t: 'episode',
      ts: this.now,
      instanceId: this.instance.instanceId,
      executionId: this.instance.executionId,
      consumed: [...this.input.batch.deliver.map((m) => m.id), ...this.input.batch.discard],
      // Everything in history is a replay for the next episode.
      append: this.append.map((e) => ({ ...e, IsPlayed: true })),
      status: this.status,
      output: this.output,
      customStatus: this.customStatus,
      ledger: this.ledger,
      activities: this.activities,
      timers: this.timers,
      cancelTimers: this.cancelTimers,
      send: this.send,
      start: this.start,
      continueAsNew: this.continueAsNew,
    };
  }

  /** Schedules one new action; returns why it cannot run here, if it cannot. */
  private scheduleAction(action: ActionData, actionIndex: number): string | undefined {
    switch (action.actionType) {
      case ActionType.CallActivity:
        this.scheduleActivity(action.functionName ?? '', actionInputJsonText(action));
        return undefined;
      case ActionType.CallActivityWithRetry: {
        const id = this.scheduleActivity(action.functionName ?? '', actionInputJsonText(action));
        this.startRetryGroup(id, 'activity', action);
        return undefined;
      }
      case ActionType.CallSubOrchestrator:
        this.scheduleSubOrchestration(action.functionName ?? '', actionInputJsonText(action), action.instanceId);
        return undefined;
      case ActionType.CallSubOrchestratorWithRetry: {
        const id = this.scheduleSubOrchestration(action.functionName ?? '', actionInputJsonText(action), action.instanceId);
        this.startRetryGroup(id, 'subOrchestration', action);
        return undefined;
      }
      case ActionType.CreateTimer: {
        const finalFireAt = new Date(action.fireAt ?? this.now).toISOString();
        if (Date.parse(finalFireAt) - Date.parse(this.now) > this.input.timers.maximumShortTimerMs) {
          this.scheduleLongTimerSegment(finalFireAt, actionIndex, action.isCanceled);
        } else {
          this.scheduleTimerAt(finalFireAt, action.isCanceled ? undefined : actionIndex, action.isCanceled);
        }
        return undefined;
      }
      case ActionType.WaitForExternalEvent:
      case ActionType.ContinueAsNew:
        return undefined;
      case ActionType.CallHttp:
        return 'callHttp (durable HTTP) is not supported by the blobferry local host.';
      default:
        return `durable entities (action type ${action.actionType}) are not supported by the blobferry local host.`;
    }
  }

  private scheduleActivity(name: string, input: string | undefined): number {
    const id = this.ledger.nextId++;
    this.append.push(events.taskScheduled(this.now, id, name, input));
    this.activities.push({ id: this.input.newId(), instanceId: this.instance.instanceId, executionId: this.instance.executionId, taskScheduledId: id, name, input });
    return id;
  }

  private scheduleSubOrchestration(name: string, input: string | undefined, requestedId: string | undefined): number {
    const id = this.ledger.nextId++;
    // DurableTask.Core names an unnamed child "<parent execution id>:<sequence number>".
    const childId = requestedId || `${this.instance.executionId}:${id}`;
    this.append.push(events.subOrchestrationCreated(this.now, id, name, childId, input));
    if (!this.input.isOrchestrator(name)) {
      this.sendToSelf(events.subOrchestrationFailed(this.now, id, { Reason: `The orchestrator function '${name}' does not exist.` }));
    } else {
      this.start.push({
        instanceId: childId,
        name,
        executionId: this.input.newId(),
        input,
        parent: { instanceId: this.instance.instanceId, executionId: this.instance.executionId, taskScheduledId: id, name: this.instance.name },
      });
    }
    return id;
  }

  private startRetryGroup(id: number, kind: RetryGroup['kind'], action: ActionData): void {
    const key = String(id);
    this.ledger.retryGroups[key] = {
      kind,
      name: action.functionName ?? '',
      input: actionInputJsonText(action),
      instanceId: action.instanceId,
      options: action.retryOptions ?? { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 1 },
      attempts: 1,
      firstAttemptAt: this.now,
    };
    this.ledger.retryTasks[key] = key;
  }

  private nextAttempt(key: string): void {
    const group = this.ledger.retryGroups[key];
    if (!group) return;
    if (group.attempts >= group.options.maxNumberOfAttempts) {
      // No attempt left: the engine now throws the last failure into the orchestrator.
      delete this.ledger.retryGroups[key];
      return;
    }
    const updated = (this.ledger.retryGroups[key] = { ...group, attempts: group.attempts + 1 });
    if (retryTimeoutExpired(group.options, group.firstAttemptAt, this.now)) {
      // Azure stops retrying here and the JS engine waits forever (durable-functions #629);
      // the local host records the remaining attempts as failed at once so the error surfaces.
      const id = this.ledger.nextId++;
      this.append.push(updated.kind === 'activity' ? events.taskScheduled(this.now, id, group.name, group.input) : events.subOrchestrationCreated(this.now, id, group.name, group.instanceId ?? '', group.input));
      const reason = `Retry timeout of ${group.options.retryTimeoutInMilliseconds} ms expired; last failure: ${group.lastFailure?.Reason ?? 'unknown'}`;
      const failure: Failure = { ...group.lastFailure, Reason: reason };
      this.sendToSelf(updated.kind === 'activity' ? events.taskFailed(this.now, id, failure) : events.subOrchestrationFailed(this.now, id, failure));
      this.ledger.retryTasks[String(id)] = key;
      return;
    }
    const id = updated.kind === 'activity' ? this.scheduleActivity(group.name, group.input) : this.scheduleSubOrchestration(group.name, group.input, group.instanceId);
    this.ledger.retryTasks[String(id)] = key;
  }

  private forgetRetryGroup(taskId: string): void {
    const key = this.ledger.retryTasks[taskId];
    if (key === undefined) return;
    delete this.ledger.retryTasks[taskId];
    delete this.ledger.retryGroups[key];
  }

  private scheduleTimer(delayMs: number): number {
    return this.scheduleTimerAt(new Date(Date.parse(this.now) + delayMs).toISOString());
  }

  private scheduleTimerAt(fireAt: string, actionIndex?: number, cancelled = false): number {
    const id = this.ledger.nextId++;
    this.append.push(events.timerCreated(this.now, id, fireAt));
    if (!cancelled) {
      this.timers.push({ id: this.input.newId(), instanceId: this.instance.instanceId, executionId: this.instance.executionId, timerId: id, fireAt, actionIndex });
    }
    return id;
  }

  /** The next segment of a long timer, computed as durable-functions' LongTimerTask does. */
  private scheduleLongTimerSegment(finalFireAt: string, actionIndex: number, cancelled = false): void {
    const now = Date.parse(this.now);
    const { maximumShortTimerMs, longRunningTimerIntervalMs } = this.input.timers;
    const fireAt = Date.parse(finalFireAt) - now > maximumShortTimerMs ? new Date(now + longRunningTimerIntervalMs).toISOString() : finalFireAt;
    const id = this.scheduleTimerAt(fireAt, actionIndex, cancelled);
    this.ledger.longTimers[String(id)] = { finalFireAt, actionIndex };
  }

  private sendToSelf(event: HistoryEvent): void {
    this.send.push({ instanceId: this.instance.instanceId, message: { id: this.input.newId(), executionId: this.instance.executionId, event } });
  }

  private notifyParent(make: (taskScheduledId: number) => HistoryEvent): void {
    const parent = this.instance.parent;
    if (!parent) return;
    this.send.push({ instanceId: parent.instanceId, message: { id: this.input.newId(), executionId: parent.executionId, event: make(parent.taskScheduledId) } });
  }
}

function failureOf(event: HistoryEvent): Failure {
  return { Reason: event.Reason ?? '', Details: event.Details, FailureDetails: event.FailureDetails };
}

/** Failure details the library attached to an orchestrator failure (camelCase) in the wire shape. */
function toFailureDetails(raw: unknown, message: string): FailureDetails {
  if (raw && typeof raw === 'object' && 'ErrorType' in raw) return raw as FailureDetails;
  return { ErrorType: 'OrchestrationFailure', ErrorMessage: message };
}
