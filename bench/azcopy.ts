/**
 * AzCopy as a benchmark peer: the binary from the npm package @azure-tools/azcopy-linux (a dev
 * dependency), run with its log and plan folders in a temp dir, measured from outside: wall
 * time, and peak RSS and CPU time sampled from /proc while it runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { measureProcess, type Sample } from './copyScenarios';

/** The AzCopy binary, made executable (npm does not keep the mode), or why it cannot run here. */
export function azcopyBinary(): { path: string } | { missing: string } {
  let exe: string;
  try {
    exe = (require('@azure-tools/azcopy-linux') as { AzCopyExe: string }).AzCopyExe;
  } catch {
    return { missing: 'the dev dependency @azure-tools/azcopy-linux is not installed (npm install)' };
  }
  fs.chmodSync(exe, 0o755);
  const probe = spawnSync(exe, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = `${probe.stderr ?? ''}${probe.error?.message ?? ''}`;
    return { missing: /libsecret/i.test(why) ? 'AzCopy needs the Debian package libsecret-1-0: apt-get install -y libsecret-1-0' : `AzCopy does not start: ${why.trim().slice(0, 200)}` };
  }
  return { path: exe };
}

export interface AzcopyRun {
  source: string;
  destination: string;
  recursive?: boolean;
  /** --block-size-mb: blobs no larger than a block go by Put Blob From URL, which Azurite lacks. */
  blockSizeMiB?: number;
  /** Log and plan folders go here. */
  dir: string;
}

/** One AzCopy copy (blob to blob); rejects with AzCopy's own summary when it does not complete. */
export async function runAzcopy(exe: string, run: AzcopyRun): Promise<Sample> {
  const args = ['copy', run.source, run.destination, '--from-to', 'BlobBlob', '--output-type', 'json', '--log-level', 'ERROR', ...(run.recursive ? ['--recursive'] : []), ...(run.blockSizeMiB ? ['--block-size-mb', String(run.blockSizeMiB)] : [])];
  const env = { ...process.env, AZCOPY_LOG_LOCATION: path.join(run.dir, 'logs'), AZCOPY_JOB_PLAN_LOCATION: path.join(run.dir, 'plans') };
  const ran = await measureProcess(exe, args, env);
  const end = ran.stdout.split('\n').map((line) => (line ? (JSON.parse(line) as { MessageType?: string; MessageContent?: string }) : {})).find((m) => m.MessageType === 'EndOfJob');
  const summary = end?.MessageContent ? (JSON.parse(end.MessageContent) as Record<string, string>) : {};
  if (ran.code !== 0 || summary.JobStatus !== 'Completed') {
    throw new Error(`AzCopy ${summary.JobStatus ?? `exited ${ran.code}`}: ${summary.TransfersFailed ?? '?'} of ${summary.TotalTransfers ?? '?'} transfers failed. ${ran.stderr.slice(0, 300)}`);
  }
  return { tool: 'azcopy', concurrency: 0, wallMs: ran.wallMs, processMs: ran.wallMs, cpuMs: ran.cpuMs, peakRssMiB: ran.peakRssMiB, bytes: Number(summary.TotalBytesTransferred ?? 0), blobs: Number(summary.TransfersCompleted ?? 0) };
}
