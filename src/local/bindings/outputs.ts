/**
 * The bindings of a function besides its trigger, on the local host: what it honours, checked
 * when the function registers, and the storage blob and queue outputs written after each
 * invocation, as the Functions host writes them.
 *
 * Honoured: durable client inputs (filled by the invoker), the HTTP output of an HTTP trigger,
 * `output.storageBlob` (type blob) and `output.storageQueue` (type queue), set through
 * `context.extraOutputs` or as the function's return binding. Anything else would be silently
 * dropped (or an input left undefined), so it stops the host at start with the function's and
 * the binding's names. So does what Azure refuses at indexing: a `%Setting%` that is not set, a
 * malformed path, a connection that names no setting, a queue name that is not valid.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { BlobferryError } from '../../contracts/errors';
import { CONTAINER_NAME } from '../../storage/azureBlob/location';
import type { BindingInfo, FunctionMetadata, RpcInvocationResponse, RpcTypedData } from '../rpcTypes';
import { resolveSettingRefs } from '../hostConfig';
import { evaluateTemplate, expressionsOf, needsTriggerData, parseTemplate, type BindingData, type TemplatePart } from './expressions';
import { storageConnection } from './connection';
import { TRIGGERS_WITH_DATA } from './triggerData';

export interface OutputBinding {
  /** The binding's name ('$return' for the return binding). */
  name: string;
  type: 'blob' | 'queue';
  /** The connection string of the account the binding writes to. */
  connection: string;
  /** The blob path (container/name) or the queue name, with %settings% resolved. */
  target: TemplatePart[];
}

/** Bindings the host fills or writes without any work here. */
const CLIENT_INPUTS = new Set(['durableClient', 'orchestrationClient']);

/**
 * The function's blob and queue outputs, after checking every non-trigger binding. Throws
 * CONFIG_INVALID naming the function and the binding for anything the local host cannot honour.
 */
export function planOutputs(metadata: FunctionMetadata, trigger: BindingInfo & { name: string }, env: NodeJS.ProcessEnv = process.env): OutputBinding[] {
  const outputs: OutputBinding[] = [];
  for (const [name, binding] of Object.entries(metadata.bindings)) {
    if (name === trigger.name) continue;
    const where = `Function "${metadata.name}", binding "${name}" (${binding.direction} ${binding.type})`;
    try {
      if (binding.direction === 'in' && CLIENT_INPUTS.has(binding.type)) continue;
      if (binding.direction === 'out' && binding.type === 'http' && trigger.type === 'httpTrigger') continue;
      if (binding.direction === 'out' && (binding.type === 'blob' || binding.type === 'queue')) {
        outputs.push(planStorageOutput(name, binding, trigger.type, env));
        continue;
      }
      throw new BlobferryError('NOT_SUPPORTED', binding.direction === 'in'
        ? 'the local host provides no such input (it fills durable client inputs only), so the function would get undefined.'
        : 'the local host writes storage blob and queue outputs only (and HTTP outputs of HTTP triggers); this output would be silently dropped.');
    } catch (err) {
      throw new BlobferryError('CONFIG_INVALID', `${where}: ${(err as Error).message} The host cannot start with it.`);
    }
  }
  return outputs;
}

function planStorageOutput(name: string, binding: BindingInfo, triggerType: string, env: NodeJS.ProcessEnv): OutputBinding {
  const type = binding.type as 'blob' | 'queue';
  const option = type === 'blob' ? 'path' : 'queueName';
  const raw = binding[option];
  if (typeof raw !== 'string' || raw.trim() === '') throw new BlobferryError('CONFIG_INVALID', `its ${option} is missing.`);
  const resolved = resolveSettingRefs(raw, env);
  const target = parseTemplate(resolved);
  const needsData = expressionsOf(target).filter(needsTriggerData);
  if (needsData.length > 0 && !TRIGGERS_WITH_DATA.has(triggerType)) {
    throw new BlobferryError('NOT_SUPPORTED', `{${needsData[0].text}} reads the trigger's data, which the local host gives binding expressions for HTTP and queue triggers only (a ${triggerType} gives none here).`);
  }
  // Like Azure, a target with no expression is checked now, one with expressions when it is written.
  if (expressionsOf(target).length === 0) checkTarget(type, targetName(type, resolved));
  return { name, type, connection: storageConnection(type, binding.connection, env), target };
}

/** The storage extension lowercases queue names ("to be nice"); blob paths stay as written. */
function targetName(type: 'blob' | 'queue', text: string): string {
  return type === 'queue' ? text.toLowerCase() : text;
}

/** A queue name: 3-63 lowercase letters, digits and single hyphens, a letter or digit at each end. */
const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** Azure's rules for a container and blob name, or a queue name. */
function checkTarget(type: 'blob' | 'queue', target: string): { container: string; blob: string } {
  if (type === 'queue') {
    if (!QUEUE_NAME.test(target)) throw new BlobferryError('CONFIG_INVALID', `queue name "${target}" is not valid: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.`);
    return { container: '', blob: '' };
  }
  const slash = target.indexOf('/');
  const container = slash > 0 ? target.slice(0, slash) : '';
  const blob = slash > 0 ? target.slice(slash + 1) : '';
  if (!container || !blob) throw new BlobferryError('CONFIG_INVALID', `blob path "${target}" must be <container>/<blob name>.`);
  if (!CONTAINER_NAME.test(container)) throw new BlobferryError('CONFIG_INVALID', `container name "${container}" (from blob path "${target}") is not valid: 3-63 lowercase letters, digits and single hyphens.`);
  if (blob.length > 1024) throw new BlobferryError('CONFIG_INVALID', `blob name in "${target}" is longer than 1,024 characters.`);
  return { container, blob };
}

export interface OutputContext {
  functionName: string;
  data: BindingData;
  /** host.json extensions.queues.messageEncoding: how queue outputs are written. */
  messageEncoding: 'base64' | 'none';
}

/**
 * Writes what the function set for its blob and queue outputs. A value it left unset writes
 * nothing, as in Azure. A failure (an expression the data cannot give, storage refusing) fails
 * the invocation with the binding named.
 */
export async function writeOutputs(outputs: OutputBinding[], response: RpcInvocationResponse, context: OutputContext): Promise<void> {
  for (const output of outputs) {
    const value = output.name === '$return' ? response.returnValue : response.outputData?.find((d) => d.name === output.name)?.data;
    if (!hasValue(value)) continue;
    try {
      const target = targetName(output.type, evaluateTemplate(output.target, context.data, context.functionName));
      if (output.type === 'blob') await writeBlob(output.connection, target, value);
      else await writeMessages(output.connection, target, value, context.messageEncoding);
    } catch (err) {
      const message = (err as Error).message;
      throw new BlobferryError(err instanceof BlobferryError ? err.code : 'INTERNAL', `Function "${context.functionName}", output binding "${output.name}" (${output.type}): ${message}`);
    }
  }
}

function hasValue(value: RpcTypedData | null | undefined): value is RpcTypedData {
  return !!value && Object.values(value).some((v) => v !== undefined && v !== null);
}

async function writeBlob(connection: string, path: string, value: RpcTypedData): Promise<void> {
  const { container, blob } = checkTarget('blob', path);
  const containerClient = BlobServiceClient.fromConnectionString(connection).getContainerClient(container);
  // The blob extension creates the container of an output as needed.
  await containerClient.createIfNotExists();
  const body = bytesOf(value);
  await containerClient.getBlockBlobClient(blob).upload(body, body.length);
}

async function writeMessages(connection: string, queueName: string, value: RpcTypedData, encoding: 'base64' | 'none'): Promise<void> {
  checkTarget('queue', queueName);
  const queue = QueueServiceClient.fromConnectionString(connection).getQueueClient(queueName);
  await queue.createIfNotExists();
  for (const message of messagesOf(value)) {
    await queue.sendMessage(encoding === 'base64' ? message.toString('base64') : message.toString('utf8'));
  }
}

/** A blob's content: text as UTF-8, bytes as they are, JSON as its text. */
function bytesOf(value: RpcTypedData): Buffer {
  const bytes = value.bytes ?? value.stream;
  if (bytes) return Buffer.from(bytes);
  if (value.string !== undefined && value.string !== null) return Buffer.from(value.string, 'utf8');
  if (value.json !== undefined && value.json !== null) return Buffer.from(value.json, 'utf8');
  return Buffer.from(String(value.int ?? value.double), 'utf8');
}

/** Queue messages: an array is one message per item (strings as they are, the rest as JSON). */
function messagesOf(value: RpcTypedData): Buffer[] {
  if (value.json !== undefined && value.json !== null) {
    const parsed: unknown = JSON.parse(value.json);
    if (Array.isArray(parsed)) return parsed.map((item) => Buffer.from(typeof item === 'string' ? item : JSON.stringify(item), 'utf8'));
  }
  return [bytesOf(value)];
}
