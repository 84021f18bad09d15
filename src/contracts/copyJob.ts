/**
 * A copy job, as a queue message carries it (pure): one copy request, a list of them, or
 * `{"id": "...", "requests": [...]}` for a batch migration. The job's id comes from the message
 * (its `id` field, else the queue message's own id), so a message delivered twice is one job.
 */
import { BlobferryError } from './errors';

export interface CopyJob {
  /** The job id the message names, if it names one. */
  id?: string;
  requests: unknown[];
}

/** A job's id: letters, digits and - _ . : (it becomes part of orchestration instance ids). */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function isJobId(id: unknown): id is string {
  return typeof id === 'string' && JOB_ID.test(id);
}
/** Requests per job: one orchestration runs them, and stays within ~500 tasks. */
const MAX_REQUESTS = 100;

/**
 * Reads a message body: JSON (the queue trigger hands over parsed JSON when it can), or text
 * holding JSON or base64 JSON (a client that encoded twice).
 */
export function parseCopyJob(body: unknown): CopyJob {
  const value = typeof body === 'string' ? parseText(body) : body;
  if (Array.isArray(value)) return checked({ requests: value });
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('requests' in o) {
      if (!Array.isArray(o.requests)) throw new BlobferryError('BAD_REQUEST', 'The job message\'s "requests" must be a list of copy requests.');
      const extra = Object.keys(o).filter((k) => k !== 'id' && k !== 'requests');
      if (extra.length > 0) throw new BlobferryError('BAD_REQUEST', `The job message has unknown fields: ${extra.join(', ')}.`);
      return checked({ id: jobId(o.id), requests: o.requests });
    }
    return checked({ id: jobId(o.id), requests: [o] });
  }
  throw new BlobferryError('BAD_REQUEST', 'The job message must be a copy request, a list of them, or {"id": ..., "requests": [...]}.');
}

function parseText(text: string): unknown {
  for (const candidate of [text, Buffer.from(text, 'base64').toString('utf8')]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // the next reading
    }
  }
  throw new BlobferryError('INVALID_JSON', 'The job message is not JSON (nor base64 JSON).');
}

function jobId(id: unknown): string | undefined {
  if (id === undefined) return undefined;
  if (!isJobId(id)) throw new BlobferryError('BAD_REQUEST', `The job id must be 1-100 letters, digits or . _ : - (got ${JSON.stringify(id)}).`);
  return id;
}

function checked(job: CopyJob): CopyJob {
  if (job.requests.length === 0) throw new BlobferryError('BAD_REQUEST', 'The job message holds no copy request.');
  if (job.requests.length > MAX_REQUESTS) throw new BlobferryError('BAD_REQUEST', `A job message holds at most ${MAX_REQUESTS} copy requests; split it into several jobs.`);
  const ids = job.requests.map((r) => (r as { id?: unknown })?.id).filter((id) => id !== undefined);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) throw new BlobferryError('BAD_REQUEST', `Two requests of the job have the id ${JSON.stringify(repeated)}; ids name copies and must differ.`);
  return job;
}
