// Live data without reloading: load now, then again while it is worth it; while the host does not
// answer (stopped, restarting), try again after 1, 2, 4 … 30 s and say so, then go on as before.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.mjs';

const MAX_BACKOFF_MS = 30_000;

/**
 * `load()` is called at once and whenever `deps` change; after a success `everyMs(data)` says
 * when to load again (0: not again). Returns the last data (kept through failures), the error
 * of the last try, when the next try is, and `reload()`.
 */
export function usePolling(load, everyMs, deps) {
  const [state, setState] = useState({ data: undefined, error: undefined, retryInMs: 0 });
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer;
    let failures = 0;
    const run = async () => {
      try {
        const data = await load();
        if (stopped) return;
        failures = 0;
        setState({ data, error: undefined, retryInMs: 0 });
        const next = everyMs(data);
        if (next > 0) timer = setTimeout(run, next);
      } catch (error) {
        if (stopped) return;
        // Only trouble that passes by itself is tried again; a missing key or copy waits for the user.
        const retryInMs = error instanceof ApiError && error.passing ? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures++) : 0;
        setState((before) => ({ data: before.data, error, retryInMs }));
        if (retryInMs > 0) timer = setTimeout(run, retryInMs);
      }
    };
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, asked]);
  return { ...state, reload: () => setAsked((n) => n + 1) };
}
