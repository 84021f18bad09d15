/**
 * The local host's Durable engine: it plays the part of the Durable extension for the app's own
 * orchestrator and activity functions. It owns the store (journal + state), and three
 * dispatchers: orchestration episodes, activities and timers, each bounded by host.json's
 * concurrency settings. Client operations (start, status, raise, terminate, suspend, resume,
 * purge) are methods here; the HTTP layer and the in-process CLI both call them.
 */
import { randomUUID } from 'node:crypto';
import { BlobferryError } from '../../contracts/errors';
import type { CapturedFunction, FunctionsCore } from '../functionsCore';
import type { Invoker } from '../invoker';
import { typedDataToJsonText } from '../invoker';
import type { Logger } from '../logger';
import type { DurableTimerOptions } from './episode';
import { buildTriggerPayload, planEpisode, selectBatch } from './episode';
import type { EngineStats } from './engineStats';
import { activityFailure } from './failures';
import { history as events } from './history';
import { Journal } from './journal';
import type { OrchestratorOutcome, OrchestratorStateData } from './orchestratorState';
import { outcomeFromError } from './orchestratorState';
import type { ActivityWork, Effects, Instance, RuntimeStatus, StoreRecord, StoreState, TimerWork } from './state';
import { applyRecord, isTerminal } from './state';
import type { InstanceStatus, StatusOptions } from './status';
import { toStatus } from './status';

export interface DurableEngineOptions {
  stateDir: string;
  taskHub: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  timers: DurableTimerOptions;
  fsync?: boolean;
  compactBytes?: number;
}

export interface ListFilter {
  instanceIdPrefix?: string;
  /** Only instances in one of these (undefined: any status; names no instance has match nothing). */
  runtimeStatus?: readonly string[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  top?: number;
  continuationToken?: string;
  showInput?: boolean;
}

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class DurableEngine {
  private readonly state: StoreState;
  private readonly journal: Journal;
  private readonly readyInstances = new Set<string>();
  private readonly runningEpisodes = new Set<string>();
  private readonly activityQueue: ActivityWork[] = [];
  private runningActivities = 0;
  private readonly timerHandles = new Map<string, NodeJS.Timeout>();
  private readonly completionWaiters = new Map<string, Array<() => void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private pumpScheduled = false;
  private stopped = false;
  /** Activity calls queued or running, per instance (for coalescing episodes). */
  private readonly outstandingActivities = new Map<string, number>();
  /** When each instance's last episode ended and how long it took. */
  private readonly lastEpisode = new Map<string, { endedAt: number; tookMs: number }>();
  private deferredPump?: NodeJS.Timeout;
  private readonly counters: Omit<EngineStats, 'instances'> = { episodes: 0, orchestratorMs: 0, historyEventsReplayed: 0, largestHistory: 0 };

  constructor(
    private readonly core: FunctionsCore,
    private readonly invoker: Invoker,
    private readonly logger: Logger,
    private readonly options: DurableEngineOptions,
  ) {
    const { journal, state } = Journal.open(options.stateDir, { fsync: options.fsync, compactBytes: options.compactBytes });
    this.journal = journal;
    this.state = state;
  }

  /** Resumes everything the store holds: pending activities, timers, instances with new events. */
  start(): void {
    for (const work of this.state.activities.values()) this.enqueueActivity(work);
    for (const timer of this.state.timers.values()) this.armTimer(timer);
    for (const instance of this.state.instances.values()) {
      if (!isTerminal(instance.status) && instance.status !== 'Suspended' && instance.inbox.length > 0) this.readyInstances.add(instance.instanceId);
    }
    const running = [...this.state.instances.values()].filter((i) => !isTerminal(i.status)).length;
    if (running > 0 || this.activityQueue.length > 0) {
      this.logger.info(`Resuming ${running} orchestration instance(s), ${this.activityQueue.length} activity call(s) and ${this.state.timers.size} timer(s) from ${this.options.stateDir}`);
    }
    this.schedulePump();
  }

  /** Stops dispatching, lets running work finish (up to `graceMs`), and closes the store. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.deferredPump);
    for (const handle of this.timerHandles.values()) clearTimeout(handle);
    this.timerHandles.clear();
    const settled = Promise.allSettled([...this.inFlight]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    this.journal.close();
  }

  /** What orchestrator code has cost since this engine started. */
  stats(): EngineStats {
    return { ...this.counters, instances: this.state.instances.size };
  }

  // ---- client operations ----------------------------------------------------------------

  isOrchestrator(name: string): boolean {
    return this.core.find(name)?.trigger.type === 'orchestrationTrigger';
  }

  startNew(name: string, options: { instanceId?: string; input?: unknown } = {}): string {
    const fn = this.core.find(name);
    if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
      throw new BlobferryError('UNKNOWN_FUNCTION', `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Registered orchestrators: ${this.orchestratorNames().join(', ') || 'none'}.`);
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    validateInstanceId(instanceId);
    const existing = this.state.instances.get(instanceId);
    if (existing && !isTerminal(existing.status)) {
      throw new BlobferryError('INSTANCE_EXISTS', `An orchestration instance with ID '${instanceId}' already exists and is ${existing.status}.`, { instanceId, runtimeStatus: existing.status });
    }
    const input = options.input === undefined ? undefined : JSON.stringify(options.input);
    this.commit({ t: 'create', ts: this.now(), instance: { instanceId, name: fn.metadata.name, executionId: randomUUID(), input } });
    return instanceId;
  }

  getStatus(instanceId: string, options: StatusOptions = {}): InstanceStatus | undefined {
    const instance = this.state.instances.get(instanceId);
    return instance ? toStatus(instance, options) : undefined;
  }

  /** Instances matching the filter, newest first, a page at a time. */
  list(filter: ListFilter = {}): { instances: InstanceStatus[]; continuationToken?: string } {
    const from = filter.createdTimeFrom?.getTime() ?? -Infinity;
    const to = filter.createdTimeTo?.getTime() ?? Infinity;
    const statuses = filter.runtimeStatus ? new Set<string>(filter.runtimeStatus) : undefined;
    const matching = [...this.state.instances.values()]
      .filter((i) => (!statuses || statuses.has(i.status)) && Date.parse(i.createdTime) >= from && Date.parse(i.createdTime) <= to)
      .filter((i) => !filter.instanceIdPrefix || i.instanceId.startsWith(filter.instanceIdPrefix))
      .sort((a, b) => b.createdTime.localeCompare(a.createdTime) || a.instanceId.localeCompare(b.instanceId));
    const start = filter.continuationToken ? decodeContinuation(filter.continuationToken) : 0;
    const top = filter.top && filter.top > 0 ? filter.top : matching.length;
    const page = matching.slice(start, start + top);
    const next = start + page.length;
    return {
      instances: page.map((i) => toStatus(i, { showInput: filter.showInput ?? true })),
      continuationToken: next < matching.length ? encodeContinuation(next) : undefined,
    };
  }

  raiseEvent(instanceId: string, eventName: string, data: unknown): void {
    if (!eventName) throw new BlobferryError('BAD_REQUEST', 'An event name is required.');
    const instance = this.requireActive(instanceId);
    const input = data === undefined ? undefined : JSON.stringify(data);
    this.commit({ t: 'raise', ts: this.now(), instanceId: instance.instanceId, message: { id: randomUUID(), event: events.eventRaised(this.now(), eventName, input) } });
  }

  terminate(instanceId: string, reason = ''): void {
    this.requireActive(instanceId);
    this.commit({ t: 'terminate', ts: this.now(), instanceId, reason, messageId: randomUUID() });
  }

  suspend(instanceId: string, reason = ''): void {
    this.requireActive(instanceId);
    this.commit({ t: 'suspend', ts: this.now(), instanceId, reason });
  }

  resume(instanceId: string, reason = ''): void {
    this.requireActive(instanceId);
    this.commit({ t: 'resume', ts: this.now(), instanceId, reason });
  }

  /**
   * Deletes an instance and its history, whatever its status, as the extension's Azure Storage
   * backend does: a running instance stops where it stands (work still out is dropped when it
   * reports). Answers how many were deleted (0 or 1).
   */
  purge(instanceId: string): number {
    if (!this.state.instances.has(instanceId)) return 0;
    this.commit({ t: 'purge', ts: this.now(), instanceIds: [instanceId] });
    return 1;
  }

  /**
   * Deletes the instances created in the time range, as DurableTask.AzureStorage does: of the
   * statuses asked for only Completed, Failed, Terminated (and Canceled) count, and when none of
   * those is asked for, every instance in the range goes, running ones too.
   */
  purgeMany(filter: { createdTimeFrom: Date; createdTimeTo: Date; runtimeStatus?: readonly string[] }): number {
    const terminal = filter.runtimeStatus?.filter((s) => s === 'Canceled' || isTerminal(s as RuntimeStatus));
    const ids = this.list({ createdTimeFrom: filter.createdTimeFrom, createdTimeTo: filter.createdTimeTo, runtimeStatus: terminal?.length ? terminal : undefined }).instances.map((s) => s.instanceId);
    if (ids.length > 0) this.commit({ t: 'purge', ts: this.now(), instanceIds: ids });
    return ids.length;
  }

  /** Resolves with the instance's status once it is completed, failed or terminated. */
  async waitForCompletion(instanceId: string, options: { timeoutMs?: number; showHistory?: boolean } = {}): Promise<InstanceStatus> {
    const finished = () => {
      const instance = this.state.instances.get(instanceId);
      if (!instance) throw new BlobferryError('INSTANCE_NOT_FOUND', `No orchestration instance with ID '${instanceId}' exists.`);
      return isTerminal(instance.status) ? toStatus(instance, { showHistory: options.showHistory, showHistoryOutput: options.showHistory }) : undefined;
    };
    const now = finished();
    if (now) return now;
    return new Promise((resolve, reject) => {
      const timer = options.timeoutMs ? setTimeout(() => reject(new BlobferryError('INTERNAL', `Instance '${instanceId}' did not finish within ${options.timeoutMs} ms.`)), options.timeoutMs) : undefined;
      const waiters = this.completionWaiters.get(instanceId) ?? [];
      waiters.push(() => {
        if (timer) clearTimeout(timer);
        try {
          resolve(finished() ?? toStatus(this.state.instances.get(instanceId)!, {}));
        } catch (err) {
          reject(err);
        }
      });
      this.completionWaiters.set(instanceId, waiters);
    });
  }

  // ---- the store ------------------------------------------------------------------------

  private commit(record: StoreRecord): void {
    this.journal.append(record);
    const fx = applyRecord(this.state, record);
    this.act(fx);
    if (this.journal.needsCompaction) this.journal.compact(this.state);
  }

  private act(fx: Effects): void {
    for (const id of fx.cancelledTimers) {
      clearTimeout(this.timerHandles.get(id));
      this.timerHandles.delete(id);
    }
    for (const work of fx.activities) this.enqueueActivity(work);
    for (const timer of fx.timers) this.armTimer(timer);
    for (const id of fx.ready) this.readyInstances.add(id);
    for (const id of fx.finished) {
      this.lastEpisode.delete(id);
      const waiters = this.completionWaiters.get(id);
      this.completionWaiters.delete(id);
      for (const wake of waiters ?? []) wake();
    }
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    let wakeAt = Infinity;
    for (const instanceId of this.readyInstances) {
      if (this.runningEpisodes.size >= this.options.maxConcurrentOrchestratorFunctions) break;
      if (this.runningEpisodes.has(instanceId)) continue;
      const notBefore = this.coalesceUntil(instanceId);
      if (notBefore > Date.now()) {
        wakeAt = Math.min(wakeAt, notBefore);
        continue;
      }
      this.readyInstances.delete(instanceId);
      this.runningEpisodes.add(instanceId);
      const began = Date.now();
      this.track(this.runEpisode(instanceId).finally(() => {
        this.runningEpisodes.delete(instanceId);
        this.lastEpisode.set(instanceId, { endedAt: Date.now(), tookMs: Date.now() - began });
        this.schedulePump();
      }));
    }
    if (wakeAt < Infinity && !this.deferredPump) {
      this.deferredPump = setTimeout(() => {
        this.deferredPump = undefined;
        this.schedulePump();
      }, Math.max(1, wakeAt - Date.now()));
    }
    while (this.runningActivities < this.options.maxConcurrentActivityFunctions && this.activityQueue.length > 0) {
      const work = this.activityQueue.shift()!;
      if (!this.state.activities.has(work.id)) {
        this.activityDone(work);
        continue;
      }
      this.runningActivities++;
      this.track(this.runActivity(work).finally(() => {
        this.runningActivities--;
        this.activityDone(work);
        this.schedulePump();
      }));
    }
  }

  /**
   * Replaying costs time proportional to the history, and on one thread it competes with the
   * activities it waits for. While an instance still has activities out, its next episode waits
   * as long as its last one took, so completions arrive in batches that grow with the history
   * instead of one replay per handful of results (a fan-out of N stays near-linear).
   */
  private coalesceUntil(instanceId: string): number {
    const last = this.lastEpisode.get(instanceId);
    if (!last || !this.outstandingActivities.get(instanceId)) return 0;
    return last.endedAt + last.tookMs;
  }

  private enqueueActivity(work: ActivityWork): void {
    this.activityQueue.push(work);
    this.outstandingActivities.set(work.instanceId, (this.outstandingActivities.get(work.instanceId) ?? 0) + 1);
  }

  private activityDone(work: ActivityWork): void {
    const left = (this.outstandingActivities.get(work.instanceId) ?? 1) - 1;
    if (left > 0) this.outstandingActivities.set(work.instanceId, left);
    else this.outstandingActivities.delete(work.instanceId);
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch((err) => this.logger.error(`Local Durable engine error: ${(err as Error).stack ?? err}`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  // ---- orchestrations -------------------------------------------------------------------

  private async runEpisode(instanceId: string): Promise<void> {
    const instance = this.state.instances.get(instanceId);
    if (!instance || isTerminal(instance.status) || instance.status === 'Suspended') return;
    const batch = selectBatch(instance);
    if (batch.deliver.length === 0) {
      if (batch.discard.length > 0) this.commitDiscard(instance, batch.discard);
      return;
    }
    const executionId = instance.executionId;
    const now = this.episodeTime(instance);
    const outcome = await this.runOrchestrator(instance, batch.deliver, now);
    const current = this.state.instances.get(instanceId);
    if (this.stopped || current !== instance || instance.executionId !== executionId || isTerminal(instance.status) || (instance.status as RuntimeStatus) === 'Suspended') {
      return; // terminated, suspended, purged or replaced meanwhile: this episode's work is moot
    }
    const record = planEpisode({
      instance,
      batch,
      now,
      outcome,
      pendingTimers: [...this.state.timers.values()].filter((t) => t.instanceId === instanceId),
      timers: this.options.timers,
      isOrchestrator: (name) => this.isOrchestrator(name),
      newId: randomUUID,
    });
    // Before the commit: a continueAsNew empties the history it reached.
    this.counters.largestHistory = Math.max(this.counters.largestHistory, instance.history.length + record.append.length);
    this.commit(record);
    if (record.status === 'Failed') this.logger.warn(`Orchestration ${instance.name} (${instanceId}) failed: ${JSON.parse(record.output ?? '""')}`);
  }

  private async runOrchestrator(instance: Instance, batch: Instance['inbox'], now: string): Promise<OrchestratorOutcome> {
    const fn = this.core.find(instance.name);
    if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
      return { kind: 'failed', message: `The orchestrator function '${instance.name}' doesn't exist or is not an orchestrator function.` };
    }
    const began = performance.now();
    this.counters.episodes++;
    this.counters.historyEventsReplayed += instance.history.length;
    const payload = buildTriggerPayload(instance, batch, now, this.options.timers);
    try {
      const response = await this.invoker.invoke({ fn, triggerData: { string: JSON.stringify(payload) } });
      return { kind: 'state', state: JSON.parse(typedDataToJsonText(response.returnValue)) as OrchestratorStateData };
    } catch (err) {
      return outcomeFromError(err);
    } finally {
      this.counters.orchestratorMs += performance.now() - began;
    }
  }

  /** Drops messages meant for an execution that continued as new. */
  private commitDiscard(instance: Instance, discard: string[]): void {
    this.commit({
      t: 'episode',
      ts: this.now(),
      instanceId: instance.instanceId,
      executionId: instance.executionId,
      consumed: discard,
      append: [],
      status: instance.status,
      output: instance.output,
      ledger: instance.ledger,
      activities: [],
      timers: [],
      cancelTimers: [],
      send: [],
      start: [],
    });
  }

  /** The episode's OrchestratorStarted time: now, but never before the history's last event. */
  private episodeTime(instance: Instance): string {
    const last = instance.history.length > 0 ? Date.parse(instance.history[instance.history.length - 1].Timestamp) : 0;
    return new Date(Math.max(Date.now(), last)).toISOString();
  }

  // ---- activities -----------------------------------------------------------------------

  private async runActivity(work: ActivityWork): Promise<void> {
    const fn = this.core.find(work.name);
    let event;
    if (!fn || fn.trigger.type !== 'activityTrigger') {
      event = events.taskFailed(this.now(), work.taskScheduledId, { Reason: `The activity function '${work.name}' doesn't exist, is disabled, or is not an activity function.` });
    } else {
      event = await this.invokeActivity(fn, work);
    }
    if (this.stopped) return; // the work item stays in the store and runs again after a restart
    this.commit({ t: 'activityDone', ts: this.now(), workId: work.id, message: { id: randomUUID(), executionId: work.executionId, event } });
  }

  private async invokeActivity(fn: CapturedFunction, work: ActivityWork) {
    try {
      const response = await this.invoker.invoke({ fn, triggerData: work.input === undefined ? undefined : { string: work.input } });
      return events.taskCompleted(this.now(), work.taskScheduledId, typedDataToJsonText(response.returnValue));
    } catch (err) {
      return events.taskFailed(this.now(), work.taskScheduledId, activityFailure(work.name, err));
    }
  }

  // ---- timers ---------------------------------------------------------------------------

  private armTimer(timer: TimerWork): void {
    if (this.stopped) return;
    clearTimeout(this.timerHandles.get(timer.id));
    const delay = Math.min(Math.max(0, Date.parse(timer.fireAt) - Date.now()), MAX_TIMER_DELAY_MS);
    const handle = setTimeout(() => {
      this.timerHandles.delete(timer.id);
      if (!this.state.timers.has(timer.id) || this.stopped) return;
      if (Date.now() < Date.parse(timer.fireAt)) return this.armTimer(timer); // long delays are armed in steps
      this.commit({ t: 'timerFired', ts: this.now(), workId: timer.id, message: { id: randomUUID(), executionId: timer.executionId, event: events.timerFired(this.now(), timer.timerId, timer.fireAt) } });
    }, delay);
    this.timerHandles.set(timer.id, handle);
  }

  // ---- helpers --------------------------------------------------------------------------

  private now(): string {
    return new Date().toISOString();
  }

  private orchestratorNames(): string[] {
    return [...this.core.functions.values()].filter((f) => f.trigger.type === 'orchestrationTrigger').map((f) => f.metadata.name);
  }

  /** The instance, if it exists and has not finished; else INSTANCE_NOT_FOUND (404) or INSTANCE_COMPLETED (410). */
  requireActive(instanceId: string): Instance {
    const instance = this.state.instances.get(instanceId);
    if (!instance) throw new BlobferryError('INSTANCE_NOT_FOUND', `No orchestration instance with ID '${instanceId}' exists.`, { instanceId });
    if (isTerminal(instance.status)) {
      throw new BlobferryError('INSTANCE_COMPLETED', `Instance '${instanceId}' is already ${instance.status}.`, { instanceId, runtimeStatus: instance.status });
    }
    return instance;
  }
}

/** Instance ids as Azure Storage task hubs accept them. */
export function validateInstanceId(instanceId: string): void {
  if (instanceId.length === 0 || instanceId.length > 256) {
    throw new BlobferryError('INVALID_INSTANCE_ID', 'An instance ID must be 1 to 256 characters long.');
  }
  if (/[\\/#?]/.test(instanceId) || /[\u0000-\u001f\u007f]/.test(instanceId)) {
    throw new BlobferryError('INVALID_INSTANCE_ID', `Instance ID '${instanceId.replace(/[\u0000-\u001f\u007f]/g, '?')}' contains a character that is not allowed (/, \\, #, ? or a control character).`);
  }
  if (instanceId.startsWith('@')) {
    throw new BlobferryError('INVALID_INSTANCE_ID', 'Instance IDs starting with "@" are reserved for durable entities.');
  }
}

function encodeContinuation(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeContinuation(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw new BlobferryError('BAD_REQUEST', 'The continuation token is not valid; pass the x-ms-continuation-token the previous page returned.');
}
