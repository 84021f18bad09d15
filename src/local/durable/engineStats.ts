/**
 * What the local Durable engine spent on orchestrator code: every episode replays its
 * instance's whole history, so the cost of a long copy grows with the histories it keeps. The
 * host logs these at stop (one line), and benchmarks read that line.
 */
export interface EngineStats {
  /** Orchestrator invocations (episodes), each a replay of the history so far plus the new events. */
  episodes: number;
  /**
   * Wall time of those invocations: building the history the orchestrator is given, running it
   * over that history, reading back its state. Orchestrator code does no I/O, so this is nearly
   * all CPU; other work on the thread can interleave only at its awaits.
   */
  orchestratorMs: number;
  /** History events handed to orchestrators to replay: the events each episode's history held before it. */
  historyEventsReplayed: number;
  /** The longest history one execution of an instance reached (a continueAsNew starts a new one). */
  largestHistory: number;
  /** Instances the store holds now, finished ones included (their histories stay until purged). */
  instances: number;
}

export function describeEngineStats(stats: EngineStats): string {
  return `Durable engine: ${stats.episodes} episodes, ${Math.round(stats.orchestratorMs)} ms in orchestrator code (wall time, replays included; ${stats.historyEventsReplayed} history events replayed), largest history ${stats.largestHistory} events, ${stats.instances} instance(s) kept`;
}
