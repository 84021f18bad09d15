/**
 * Metadata and tags as Azure takes them (pure). Sources other than Azure allow what Azure
 * refuses: S3 metadata names such as "original-name" (Azure's must be C# identifiers) and tag
 * characters such as "@". The user chooses (--invalid-metadata): rename them, or fail the object.
 *
 *   metadata name  "original-name" -> "rename_original_name", plus "rename_key_original_name" = "original-name"
 *                  (AzCopy's convention, so tools that know it can undo it); a renamed name that
 *                  collides with another fails the object either way
 *   tags           characters outside letters, digits, space and + - . : = _ / become "_";
 *                  more than 10 tags, a key over 128 or a value over 256 characters fail the object
 */
import type { InvalidMetadataPolicy } from '../contracts/copyRequest';
import { BlobferryError } from '../contracts/errors';

const METADATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TAG_TEXT = /^[A-Za-z0-9 +\-.:=_/]*$/;
const MAX_TAGS = 10;

export function azureMetadata(metadata: Record<string, string> | undefined, policy: InvalidMetadataPolicy): Record<string, string> | undefined {
  if (!metadata) return undefined;
  const out: Record<string, string> = {};
  const put = (name: string, value: string) => {
    if (Object.keys(out).some((n) => n.toLowerCase() === name.toLowerCase())) {
      throw new BlobferryError('INVALID_METADATA', `Metadata name "${name}" would be set twice (after renaming invalid names); rename the source's metadata.`);
    }
    out[name] = value;
  };
  for (const [name, value] of Object.entries(metadata).filter(([n]) => METADATA_NAME.test(n))) put(name, value);
  for (const [name, value] of Object.entries(metadata).filter(([n]) => !METADATA_NAME.test(n))) {
    if (policy === 'fail') {
      throw new BlobferryError('INVALID_METADATA', `Metadata name "${name}" is not valid in Azure (letters, digits and _, not starting with a digit); run with --invalid-metadata rename to copy it as "rename_${name.replace(/\W/g, '_')}".`);
    }
    const renamed = name.replace(/\W/g, '_');
    put(`rename_${renamed}`, value);
    put(`rename_key_${renamed}`, name);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function azureTags(tags: Record<string, string> | undefined, policy: InvalidMetadataPolicy): Record<string, string> | undefined {
  if (!tags || Object.keys(tags).length === 0) return undefined;
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw new BlobferryError('INVALID_METADATA', `The source has ${entries.length} tags; Azure allows ${MAX_TAGS} index tags per blob.`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128 || value.length > 256) throw new BlobferryError('INVALID_METADATA', `Tag "${key.slice(0, 40)}" does not fit Azure's limits (a key of 1-128 characters, a value of at most 256).`);
    const valid = TAG_TEXT.test(key) && TAG_TEXT.test(value);
    if (!valid && policy === 'fail') {
      throw new BlobferryError('INVALID_METADATA', `Tag "${key}" = "${value}" has characters Azure refuses in index tags (only letters, digits, space and + - . : = _ /); run with --invalid-metadata rename to replace them with "_".`);
    }
    const mapped = valid ? key : key.replace(/[^A-Za-z0-9 +\-.:=_/]/g, '_');
    if (mapped in out) throw new BlobferryError('INVALID_METADATA', `Tag "${mapped}" would be set twice (after replacing invalid characters).`);
    out[mapped] = valid ? value : value.replace(/[^A-Za-z0-9 +\-.:=_/]/g, '_');
  }
  return out;
}
