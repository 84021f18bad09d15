/**
 * The local host's log: one line per event on stderr (stdout stays free for a CLI's output),
 * levels like the Functions host, secrets redacted on the way out.
 */
import { LIMITS, truncate } from '../contracts/limits';
import { redact } from '../contracts/redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'none';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, none: 4 };

/** Functions (RPC) log levels mapped to ours. */
const RPC_LEVELS: Record<string, LogLevel> = {
  trace: 'debug',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  none: 'none',
};

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A log line written by a function through its InvocationContext. */
  functionLog(functionName: string, rpcLevel: string, category: string, message: string): void;
}

export function createLogger(options: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: LogLevel, message: string) => {
    if (ORDER[level] < threshold || level === 'none') return;
    write(`[${new Date().toISOString()}] ${level.toUpperCase().padEnd(5)} ${truncate(redact(message), LIMITS.logLineLength)}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    functionLog: (fn, rpcLevel, category, message) => {
      // System logs from the library are noise for users unless something is wrong.
      const level = RPC_LEVELS[rpcLevel.toLowerCase()] ?? 'info';
      emit(category === 'system' && level === 'info' ? 'debug' : level, `${fn}: ${message}`);
    },
  };
}

/** For tests and embedding: a logger that keeps nothing. */
export const silentLogger: Logger = createLogger({ level: 'none' });
