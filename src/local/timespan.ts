/**
 * .NET TimeSpan text ("[d.]hh:mm[:ss[.fffffff]]"), the format host.json and the Durable
 * extension use for durations (functionTimeout, visibilityTimeout, timer settings).
 */
import { BlobferryError } from '../contracts/errors';

const TIMESPAN = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/;

export function parseTimeSpan(text: string, setting = 'duration'): number {
  const m = TIMESPAN.exec(text.trim());
  if (!m) {
    throw new BlobferryError('CONFIG_INVALID', `${setting} "${text}" is not a duration; use [d.]hh:mm:ss, for example 00:00:30.`);
  }
  const [, sign, days, hours, minutes, seconds, fraction] = m;
  const ms =
    Number(days ?? 0) * 86_400_000 +
    Number(hours) * 3_600_000 +
    Number(minutes) * 60_000 +
    Number(seconds ?? 0) * 1000 +
    Math.round(Number(`0.${fraction ?? '0'}`) * 1000);
  return sign ? -ms : ms;
}

export function formatTimeSpan(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  const days = Math.floor(whole / 86_400_000);
  const rest = whole % 86_400_000;
  const two = (n: number) => String(n).padStart(2, '0');
  const hh = two(Math.floor(rest / 3_600_000));
  const mm = two(Math.floor((rest % 3_600_000) / 60_000));
  const ss = two(Math.floor((rest % 60_000) / 1000));
  const fff = String(rest % 1000).padStart(3, '0');
  return `${days > 0 ? `${days}.` : ''}${hh}:${mm}:${ss}${fff !== '000' ? `.${fff}` : ''}`;
}
