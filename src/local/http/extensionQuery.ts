/**
 * Query strings as the Durable extension's HttpApiHandler reads them, so the local host takes
 * the same parameters the same way (HttpRequestMessageExtensions.GetQueryNameValuePairs and the
 * TryGet...QueryParameterValue helpers):
 *
 * - names are case-insensitive (`?SHOWHISTORY=true` works); names and values are trimmed and
 *   URL-decoded (`+` is a space); a name given twice reads as its values joined with commas;
 * - a value that does not parse (bool.TryParse, int.TryParse, DateTime.TryParse...) counts as
 *   not given: the parameter keeps its default, with no error.
 */

export class ExtensionQuery {
  private readonly values = new Map<string, string[]>();

  constructor(search: string) {
    const text = search.startsWith('?') ? search.slice(1) : search;
    if (text.length === 0) return;
    for (const pair of text.split('&')) {
      const eq = pair.indexOf('=');
      const name = eq >= 0 ? decode(pair.slice(0, eq).trim()) : '';
      const value = decode((eq >= 0 ? pair.slice(eq + 1) : pair).trim());
      const key = name.toLowerCase();
      this.values.set(key, [...(this.values.get(key) ?? []), value]);
    }
  }

  /** The value (several joined with commas, as NameValueCollection does), or undefined. */
  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase())?.join(',');
  }

  /** bool.TryParse: "true"/"false" in any case, trimmed; anything else is not given. */
  bool(name: string): boolean | undefined {
    const text = this.get(name)?.trim().toLowerCase();
    return text === 'true' ? true : text === 'false' ? false : undefined;
  }

  /** int.TryParse (a signed 32-bit integer, surrounding blanks allowed). */
  int(name: string): number | undefined {
    const text = this.get(name)?.trim();
    if (!text || !/^[+-]?\d+$/.test(text)) return undefined;
    const n = Number(text);
    return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
  }

  /** double.TryParse, for the start API's timeout and pollingInterval (in seconds). */
  seconds(name: string): number | undefined {
    const text = this.get(name)?.trim();
    if (!text || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
    return Number(text);
  }

  /**
   * DateTime.TryParse for ISO 8601 and the other forms Date.parse reads. A time without a zone
   * is UTC, as on Azure's servers (which run in UTC).
   */
  date(name: string): Date | undefined {
    const text = this.get(name)?.trim();
    if (!text) return undefined;
    const zoneless = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text);
    const ms = Date.parse(zoneless ? `${text}Z` : text);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }

  /**
   * runtimeStatus as TryGetIEnumerableQueryParameterValue reads it: every value split on commas,
   * each parsed with .NET's Enum.TryParse (case-sensitive names, or numbers), values that do not
   * parse skipped. Undefined when none parsed: then there is no status filter at all.
   * A number outside the enum parses too (Enum.TryParse accepts it) and matches no instance.
   */
  statuses(name: string, members: readonly string[]): string[] | undefined {
    const parsed: string[] = [];
    for (const raw of this.values.get(name.toLowerCase()) ?? []) {
      for (const part of raw.split(',')) {
        const value = part.trim();
        if (members.includes(value)) parsed.push(value);
        else if (/^[+-]?\d+$/.test(value) && Math.abs(Number(value)) < 2 ** 31) parsed.push(ORCHESTRATION_STATUS_BY_NUMBER[Number(value)] ?? value);
      }
    }
    return parsed.length > 0 ? parsed : undefined;
  }
}

/** OrchestrationRuntimeStatus / DurableTask.Core.OrchestrationStatus by their numbers. */
const ORCHESTRATION_STATUS_BY_NUMBER: Record<number, string> = {
  [-1]: 'Unknown',
  0: 'Running',
  1: 'Completed',
  2: 'ContinuedAsNew',
  3: 'Failed',
  4: 'Canceled',
  5: 'Terminated',
  6: 'Pending',
  7: 'Suspended',
};

/** The members of DurableTask.Core's OrchestrationStatus (what purge parses). */
export const ORCHESTRATION_STATUSES = ['Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Canceled', 'Terminated', 'Pending', 'Suspended'] as const;
/** The members of the extension's OrchestrationRuntimeStatus (what listing parses): Unknown too. */
export const ORCHESTRATION_RUNTIME_STATUSES = ['Unknown', ...ORCHESTRATION_STATUSES] as const;

/** WebUtility.UrlDecode: '+' is a space, and a malformed escape is kept as it is. */
function decode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
