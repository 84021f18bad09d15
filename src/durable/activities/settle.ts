/**
 * Activities answer with a result, not an exception, for every failure they understand: the
 * code and message reach the orchestrator intact on any host (exception details do not).
 */
import { isBlobferryError } from '../../contracts/errors';
import { LIMITS, truncate } from '../../contracts/limits';
import { redact } from '../../contracts/redact';
import type { ActivityResult } from '../types';

export async function settle<T extends object>(work: () => Promise<T>): Promise<ActivityResult<T>> {
  try {
    return { ok: true, ...(await work()) };
  } catch (err) {
    // Messages go into status and history: bounded, whatever a service or a source answered.
    if (isBlobferryError(err)) return { ok: false, code: err.code, message: truncate(redact(err.message), LIMITS.messageLength) };
    return { ok: false, code: 'INTERNAL', message: truncate(redact(`Unexpected error: ${(err as Error)?.message ?? String(err)}`), LIMITS.messageLength) };
  }
}
