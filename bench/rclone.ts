/**
 * rclone (Debian package `rclone`) as a benchmark peer for S3 -> Azure Blob: its s3 backend
 * against s3rver, its azureblob backend against Azurite through a container SAS URL (its
 * `endpoint` option is a DNS suffix, which would send it looking up names outside loopback),
 * both as on-the-fly remotes, no config file. Measured from outside, as AzCopy is.
 */
import { spawnSync } from 'node:child_process';
import { measureProcess, type Sample } from './copyScenarios';

export function rcloneBinary(): { path: string } | { missing: string } {
  const probe = spawnSync('rclone', ['version'], { encoding: 'utf8' });
  if (probe.status !== 0) return { missing: 'rclone is not installed (apt-get install -y rclone)' };
  return { path: 'rclone' };
}

export interface RcloneRun {
  /** s3rver's endpoint, and the bucket/key or bucket/prefix to copy. */
  s3Endpoint: string;
  s3Path: string;
  /** A container SAS URL of the destination, and the path inside the container. */
  containerSasUrl: string;
  container: string;
  destinationPath: string;
  /** One object (copyto) or everything under a prefix (copy). */
  single: boolean;
  transfers: number;
}

export async function runRclone(exe: string, run: RcloneRun): Promise<Sample> {
  const source = `:s3,provider=Other,endpoint='${run.s3Endpoint}',access_key_id=S3RVER,secret_access_key=S3RVER,force_path_style=true:${run.s3Path}`;
  const destination = `:azureblob,sas_url='${run.containerSasUrl}':${run.container}/${run.destinationPath}`;
  const env: NodeJS.ProcessEnv = { ...process.env, RCLONE_CONFIG: '/dev/null' };
  // rclone 1.60's S3 client refuses a custom CA bundle on its transport (LoadCustomCABundleError).
  delete env.AWS_CA_BUNDLE;
  const args = [run.single ? 'copyto' : 'copy', source, destination, '--transfers', String(run.transfers), '--checkers', String(run.transfers), '--stats', '0', '--stats-one-line', '-q'];
  const ran = await measureProcess(exe, args, env);
  if (ran.code !== 0) throw new Error(`rclone exited ${ran.code}: ${ran.stderr.slice(0, 500)}`);
  return { tool: 'rclone', concurrency: run.transfers, wallMs: ran.wallMs, processMs: ran.wallMs, cpuMs: ran.cpuMs, peakRssMiB: ran.peakRssMiB, bytes: 0, blobs: 0 };
}
