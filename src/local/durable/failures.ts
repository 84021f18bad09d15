/**
 * How a thrown activity error becomes a TaskFailed event, as the Durable extension reports it.
 *
 * With an exception-properties provider registered (df.app.setExceptionPropertiesProvider),
 * durable-functions replaces the error's message with a JSON payload {errorType, errorMessage,
 * stackTrace, isNonRetriable, properties}; the extension turns that into FailureDetails, and
 * the orchestrator receives a TaskFailedError carrying the properties. Otherwise the failure is
 * a Reason (the message) and Details (the stack).
 */
import type { Failure } from './history';

interface SerializedFailure {
  errorType: string;
  errorMessage: string;
  stackTrace?: string;
  isNonRetriable?: boolean;
  properties?: Record<string, unknown>;
}

function parseSerializedFailure(message: string): SerializedFailure | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(message) as Partial<SerializedFailure>;
    if (typeof value.errorType === 'string' && typeof value.errorMessage === 'string') return value as SerializedFailure;
  } catch {
    // an ordinary message that happens to start with a brace
  }
  return undefined;
}

export function activityFailure(functionName: string, err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  const serialized = parseSerializedFailure(message);
  if (serialized) {
    return {
      Reason: `Activity function '${functionName}' failed: ${serialized.errorMessage}`,
      Details: serialized.stackTrace,
      FailureDetails: {
        ErrorType: serialized.errorType,
        ErrorMessage: serialized.errorMessage,
        StackTrace: serialized.stackTrace,
        IsNonRetriable: serialized.isNonRetriable ?? false,
        Properties: serialized.properties,
      },
    };
  }
  return { Reason: `Activity function '${functionName}' failed: ${message}`, Details: err instanceof Error ? err.stack : undefined };
}
