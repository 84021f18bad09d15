/**
 * The local Durable store's state and the one function that changes it.
 *
 * Every change is a record (journal line). `applyRecord` is pure and deterministic: the live
 * host appends a record and then applies it; a restarted host rebuilds the same state by
 * applying the same records to the last snapshot. A record is all-or-nothing, so a crash
 * between two records leaves a state the host can resume from: work whose record was not
 * written is simply done again (orchestrators replay, activities are idempotent).
 */
import { hasEnded, type RuntimeStatus } from '../../contracts/copyList';
import type { Failure, HistoryEvent } from './history';
import { EventType, history as events } from './history';
import type { RetryOptionsData } from './orchestratorState';

/** The Durable runtime statuses, as contracts/copyList lists them. */
export type { RuntimeStatus };

export function isTerminal(status: RuntimeStatus): boolean {
  return hasEnded(status);
}

/** An event on its way into an orchestration's history. */
export interface Message {
  id: string;
  /** The execution it belongs to; undefined for events any execution may take (raised events). */
  executionId?: string;
  event: HistoryEvent;
}

export interface RetryGroup {
  kind: 'activity' | 'subOrchestration';
  name: string;
  input?: string;
  /** The child instance id the orchestrator asked for (sub-orchestrations). */
  instanceId?: string;
  options: RetryOptionsData;
  /** Attempts scheduled so far. */
  attempts: number;
  firstAttemptAt: string;
  lastFailure?: Failure;
}

/**
 * The host's side of the sequence-number bookkeeping for the current execution (see
 * episode.ts): the next number, how many of the orchestrator's actions are already scheduled,
 * and the tasks whose later events take numbers of their own (retries, long timers).
 */
export interface Ledger {
  nextId: number;
  actionCount: number;
  retryGroups: Record<string, RetryGroup>;
  /** Attempt task id -> retry group key. */
  retryTasks: Record<string, string>;
  /** Retry delay timer id -> retry group key. */
  retryTimers: Record<string, string>;
  /** Long timer segment id -> the timer's final fire time and its action index. */
  longTimers: Record<string, { finalFireAt: string; actionIndex: number }>;
}

export const emptyLedger = (): Ledger => ({ nextId: 0, actionCount: 0, retryGroups: {}, retryTasks: {}, retryTimers: {}, longTimers: {} });

export interface ParentRef {
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
  name: string;
}

export interface Instance {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  /** JSON texts, as the extension stores them. */
  input?: string;
  output?: string;
  customStatus?: string;
  createdTime: string;
  lastUpdatedTime: string;
  parent?: ParentRef;
  /** The current execution's history (a continueAsNew starts a new one). */
  history: HistoryEvent[];
  inbox: Message[];
  ledger: Ledger;
}

export interface ActivityWork {
  id: string;
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
  name: string;
  input?: string;
}

export interface TimerWork {
  id: string;
  instanceId: string;
  executionId: string;
  timerId: number;
  fireAt: string;
  /** Index of the CreateTimer action, so a cancel() seen later can drop the timer. */
  actionIndex?: number;
}

export interface NewInstance {
  instanceId: string;
  name: string;
  executionId: string;
  input?: string;
  parent?: ParentRef;
}

export interface StoreState {
  instances: Map<string, Instance>;
  activities: Map<string, ActivityWork>;
  timers: Map<string, TimerWork>;
}

export const emptyState = (): StoreState => ({ instances: new Map(), activities: new Map(), timers: new Map() });

export interface EpisodeRecord {
  t: 'episode';
  ts: string;
  instanceId: string;
  executionId: string;
  /** Inbox messages this episode took (delivered or discarded as stale). */
  consumed: string[];
  append: HistoryEvent[];
  status: RuntimeStatus;
  output?: string;
  customStatus?: string;
  ledger: Ledger;
  activities: ActivityWork[];
  timers: TimerWork[];
  cancelTimers: string[];
  /** Events for other instances (a parent hearing from its child) or for itself. */
  send: Array<{ instanceId: string; message: Message }>;
  /** Sub-orchestrations to start. */
  start: NewInstance[];
  continueAsNew?: { executionId: string; input?: string };
}

export type StoreRecord =
  | { t: 'create'; ts: string; instance: NewInstance }
  | EpisodeRecord
  | { t: 'activityDone'; ts: string; workId: string; message: Message }
  | { t: 'timerFired'; ts: string; workId: string; message: Message }
  | { t: 'raise'; ts: string; instanceId: string; message: Message }
  | { t: 'terminate'; ts: string; instanceId: string; reason: string; messageId: string }
  | { t: 'suspend'; ts: string; instanceId: string; reason: string }
  | { t: 'resume'; ts: string; instanceId: string; reason: string }
  | { t: 'purge'; ts: string; instanceIds: string[] };

/** What a record changed that the dispatchers must act on. */
export interface Effects {
  activities: ActivityWork[];
  timers: TimerWork[];
  cancelledTimers: string[];
  /** Instances that may have an episode to run. */
  ready: Set<string>;
  /** Instances that reached a terminal status. */
  finished: Set<string>;
}

const noEffects = (): Effects => ({ activities: [], timers: [], cancelledTimers: [], ready: new Set(), finished: new Set() });

export function applyRecord(state: StoreState, record: StoreRecord): Effects {
  const fx = noEffects();
  switch (record.t) {
    case 'create':
      createInstance(state, record.instance, record.ts, fx);
      break;
    case 'episode':
      applyEpisode(state, record, fx);
      break;
    case 'activityDone': {
      const work = state.activities.get(record.workId);
      if (!work) break;
      state.activities.delete(record.workId);
      deliver(state, work.instanceId, record.message, fx);
      break;
    }
    case 'timerFired': {
      const work = state.timers.get(record.workId);
      if (!work) break;
      state.timers.delete(record.workId);
      deliver(state, work.instanceId, record.message, fx);
      break;
    }
    case 'raise':
      deliver(state, record.instanceId, record.message, fx);
      break;
    case 'terminate':
      terminate(state, record.instanceId, record.reason, record.ts, record.messageId, fx);
      break;
    case 'suspend': {
      const instance = state.instances.get(record.instanceId);
      if (!instance || isTerminal(instance.status) || instance.status === 'Suspended') break;
      instance.history.push(played(events.executionSuspended(record.ts, record.reason)));
      instance.status = 'Suspended';
      instance.lastUpdatedTime = record.ts;
      break;
    }
    case 'resume': {
      const instance = state.instances.get(record.instanceId);
      if (!instance || instance.status !== 'Suspended') break;
      instance.history.push(played(events.executionResumed(record.ts, record.reason)));
      instance.status = instance.history.some((e) => e.EventType === EventType.OrchestratorStarted) ? 'Running' : 'Pending';
      instance.lastUpdatedTime = record.ts;
      if (instance.inbox.length > 0) fx.ready.add(instance.instanceId);
      break;
    }
    case 'purge':
      for (const id of record.instanceIds) {
        // Whoever waits for a purged running instance learns that it is gone.
        if (state.instances.delete(id)) fx.finished.add(id);
        dropTimersOf(state, id, fx);
      }
      break;
  }
  return fx;
}

function played(event: HistoryEvent): HistoryEvent {
  return { ...event, IsPlayed: true };
}

function createInstance(state: StoreState, init: NewInstance, ts: string, fx: Effects): void {
  const existing = state.instances.get(init.instanceId);
  if (existing && !isTerminal(existing.status)) return; // the caller checked; a replayed duplicate is a no-op
  if (existing) dropTimersOf(state, init.instanceId, fx);
  const started = events.executionStarted(
    ts,
    init.name,
    init.input,
    { InstanceId: init.instanceId, ExecutionId: init.executionId },
    init.parent
      ? { Name: init.parent.name, OrchestrationInstance: { InstanceId: init.parent.instanceId, ExecutionId: init.parent.executionId }, TaskScheduleId: init.parent.taskScheduledId }
      : undefined,
  );
  state.instances.set(init.instanceId, {
    instanceId: init.instanceId,
    name: init.name,
    executionId: init.executionId,
    status: 'Pending',
    input: init.input,
    createdTime: ts,
    lastUpdatedTime: ts,
    parent: init.parent,
    history: [],
    inbox: [{ id: `${init.executionId}:start`, executionId: init.executionId, event: started }],
    ledger: emptyLedger(),
  });
  fx.ready.add(init.instanceId);
}

function deliver(state: StoreState, instanceId: string, message: Message, fx: Effects): void {
  const instance = state.instances.get(instanceId);
  if (!instance || isTerminal(instance.status)) return;
  if (message.executionId && message.executionId !== instance.executionId) return;
  instance.inbox.push(message);
  if (instance.status !== 'Suspended') fx.ready.add(instanceId);
}

function applyEpisode(state: StoreState, record: EpisodeRecord, fx: Effects): void {
  const instance = state.instances.get(record.instanceId);
  if (!instance || instance.executionId !== record.executionId || isTerminal(instance.status)) return;
  const consumed = new Set(record.consumed);
  instance.inbox = instance.inbox.filter((m) => !consumed.has(m.id));
  for (const e of record.append) instance.history.push(e);
  instance.ledger = record.ledger;
  instance.status = record.status;
  instance.output = record.output;
  if (record.customStatus !== undefined) instance.customStatus = record.customStatus;
  instance.lastUpdatedTime = record.ts;

  for (const id of record.cancelTimers) {
    if (state.timers.delete(id)) fx.cancelledTimers.push(id);
  }
  for (const work of record.activities) {
    state.activities.set(work.id, work);
    fx.activities.push(work);
  }
  for (const work of record.timers) {
    state.timers.set(work.id, work);
    fx.timers.push(work);
  }
  for (const child of record.start) {
    const existing = state.instances.get(child.instanceId);
    if (existing && !isTerminal(existing.status) && child.parent) {
      // The extension refuses to start a sub-orchestration over a running instance; the parent hears why.
      const failure = { Reason: `An orchestration with instance ID '${child.instanceId}' is already running; a sub-orchestration cannot reuse it.` };
      deliver(state, child.parent.instanceId, { id: `${record.executionId}:${child.parent.taskScheduledId}:exists`, executionId: child.parent.executionId, event: events.subOrchestrationFailed(record.ts, child.parent.taskScheduledId, failure) }, fx);
      continue;
    }
    createInstance(state, child, record.ts, fx);
  }
  for (const { instanceId, message } of record.send) deliver(state, instanceId, message, fx);

  if (record.continueAsNew) {
    const carried = instance.inbox.filter((m) => m.event.EventType === EventType.EventRaised);
    dropTimersOf(state, instance.instanceId, fx);
    const next = record.continueAsNew;
    const started = events.executionStarted(record.ts, instance.name, next.input, { InstanceId: instance.instanceId, ExecutionId: next.executionId });
    instance.executionId = next.executionId;
    instance.input = next.input;
    instance.output = undefined;
    instance.history = [];
    instance.ledger = emptyLedger();
    instance.inbox = [{ id: `${next.executionId}:start`, executionId: next.executionId, event: started }, ...carried];
  }
  if (isTerminal(instance.status)) {
    instance.inbox = [];
    dropTimersOf(state, instance.instanceId, fx);
    fx.finished.add(instance.instanceId);
  } else if (instance.inbox.length > 0 && instance.status !== 'Suspended') {
    fx.ready.add(instance.instanceId);
  }
}

function terminate(state: StoreState, instanceId: string, reason: string, ts: string, messageId: string, fx: Effects): void {
  const instance = state.instances.get(instanceId);
  if (!instance || isTerminal(instance.status)) return;
  instance.history.push(played(events.executionTerminated(ts, reason)));
  instance.status = 'Terminated';
  instance.output = JSON.stringify(reason);
  instance.lastUpdatedTime = ts;
  instance.inbox = [];
  dropTimersOf(state, instanceId, fx);
  fx.finished.add(instanceId);
  const parent = instance.parent;
  if (parent) {
    const failure = { Reason: `Sub-orchestration '${instance.name}' (${instanceId}) was terminated: ${reason}` };
    deliver(state, parent.instanceId, { id: messageId, executionId: parent.executionId, event: events.subOrchestrationFailed(ts, parent.taskScheduledId, failure) }, fx);
  }
}

function dropTimersOf(state: StoreState, instanceId: string, fx: Effects): void {
  for (const [id, timer] of state.timers) {
    if (timer.instanceId === instanceId) {
      state.timers.delete(id);
      fx.cancelledTimers.push(id);
    }
  }
}
