/** Trees of real files for tests of local disks: the edge cases every copy must keep, written and read back. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MiB = 1024 * 1024;

/** Files of 0, 1, block−1, block, block+1 bytes (blocks of 1 MiB) and several blocks; awkward names; a deep tree. */
export function edgeCaseFiles(): Record<string, Buffer> {
  return {
    'empty.bin': Buffer.alloc(0),
    'one.bin': randomBytes(1),
    'block-minus-one.bin': randomBytes(MiB - 1),
    'block.bin': randomBytes(MiB),
    'block-plus-one.bin': randomBytes(MiB + 1),
    'multi.bin': randomBytes(3 * MiB + 12345),
    'sp ace & unicode ü 日本.txt': Buffer.from('spaces and unicode'),
    'per%cent #hash ?query.txt': Buffer.from('awkward'),
    'deep/er/and/deeper/still/leaf.json': Buffer.from('{"deep":true}'),
  };
}

/** Writes files under `root` (relative names with "/"); answers them. */
export function writeTree(root: string, files: Record<string, Buffer>): Record<string, Buffer> {
  for (const [name, body] of Object.entries(files)) {
    const file = path.join(root, ...name.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, body);
  }
  return files;
}

/** Every file under `root` by its relative "/"-separated path, and blobferry's temporary files among them. */
export function treeOf(root: string): { files: Map<string, Buffer>; temporary: string[] } {
  const files = new Map<string, Buffer>();
  const temporary: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = `${prefix}${entry.name}`;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), `${rel}/`);
      else if (/\.blobferry-(part|blocks)$/.test(entry.name)) temporary.push(rel);
      else files.set(rel, fs.readFileSync(path.join(dir, entry.name)));
    }
  };
  if (fs.existsSync(root)) walk(root, '');
  return { files, temporary };
}
