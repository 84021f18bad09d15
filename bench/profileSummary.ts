/**
 * `npm run bench:profile -- <file.cpuprofile>...`: where a V8 CPU profile (from BENCH_PROFILE)
 * spends its time, by area and by function (self time), as plain text. Chrome DevTools shows the
 * same profile as a flame chart; this is the summary the benchmark notes quote.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The area a frame belongs to: a package, node's own modules, or V8's pseudo-frames. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  return url.includes('/dist/') ? 'blobferry' : path.basename(url);
}

export interface ProfileSummary {
  totalMs: number;
  areas: Array<{ area: string; ms: number }>;
  functions: Array<{ name: string; ms: number }>;
}

/** Self time per area and per function, from the profile's samples. */
export function summarise(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i, so sample i lasted until the next one (as DevTools counts it).
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (ms > 0) self.set(id, (self.get(id) ?? 0) + ms);
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalMs += ms;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'}${url ? ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs,
    areas: sorted(areas).map(([area, ms]) => ({ area, ms })),
    functions: sorted(functions).slice(0, top).map(([name, ms]) => ({ name, ms })),
  };
}

function print(file: string, s: ProfileSummary): void {
  const pct = (ms: number) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`;
  console.log(`${path.basename(file)}: ${s.totalMs.toFixed(0)} ms sampled`);
  console.log('  by area (self time):');
  for (const a of s.areas.filter((a) => a.ms / s.totalMs >= 0.005)) console.log(`    ${pct(a.ms)}  ${a.ms.toFixed(0).padStart(7)} ms  ${a.area}`);
  console.log('  top functions (self time):');
  for (const f of s.functions) console.log(`    ${pct(f.ms)}  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: npm run bench:profile -- <file.cpuprofile>...  (write profiles with BENCH_PROFILE=<dir> npm run bench -- <scenario>)');
    process.exit(2);
  }
  for (const file of files) print(file, summarise(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile));
}
