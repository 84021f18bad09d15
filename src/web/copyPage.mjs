// One copy, live: status, progress, throughput over time, strategy counts, failures, and a
// cancel button that asks first.
import { useRef, useState } from 'preact/hooks';
import { cancelCopy, getCopy } from './api.mjs';
import { html } from './html.mjs';
import { FailureTable } from './failures.mjs';
import { describeStatus, etaSeconds, formatDuration, formatRate, formatTime, isActive, isWhole, percent } from './format.mjs';
import { usePolling } from './polling.mjs';
import { ApiProblem, ErrorText } from './problem.mjs';
import { ProgressBars, StatusBadge } from './progress.mjs';
import { ThroughputChart } from './throughputChart.mjs';

// The chart's samples are the page's own, one per poll while the copy runs and the page is open
// (at most an hour's): the status carries no history (docs/api.md, "GET /api/dashboard/", says why).
const MAX_SAMPLES = 3600;

export function CopyPage({ id }) {
  const samples = useRef([]);
  const { data: copy, error, retryInMs, reload } = usePolling(
    async () => {
      const next = await getCopy(id);
      if (isActive(next)) samples.current = [...samples.current.slice(1 - MAX_SAMPLES), { at: Date.now() / 1000, rate: next.rateBytesPerSec ?? 0 }];
      return next;
    },
    (next) => (isActive(next) ? 1000 : 0),
    [id],
  );
  return html`<section aria-labelledby="copy-title">
    <p><a href="#/">← All copies</a></p>
    <h1 id="copy-title" tabindex="-1">Copy <span class="copy-id">${id}</span></h1>
    <${ApiProblem} error=${error} retryInMs=${retryInMs} reload=${reload} />
    ${copy ? html`<${CopyDetails} copy=${copy} samples=${samples.current} reload=${reload} />` : error ? null : html`<p>Loading…</p>`}
  </section>`;
}

function CopyDetails({ copy, samples, reload }) {
  const active = isActive(copy);
  const p = percent(copy.bytes.copied, copy.bytes.total, isWhole(copy));
  // Read out on change by screen readers: the status, and progress in steps of ten percent (not every poll).
  const spoken = `${describeStatus(copy)}${active ? `, about ${Math.floor(p / 10) * 10}% of bytes copied` : ''}`;
  return html`
    <p class="summary" aria-live="polite"><${StatusBadge} copy=${copy} text=${spoken} /></p>
    ${active ? html`<${CancelButton} copy=${copy} reload=${reload} />` : null}
    <${ProgressBars} copy=${copy} idPrefix="copy" />
    <dl class="facts">
      <div><dt>Throughput</dt><dd>${active ? formatRate(copy.rateBytesPerSec) : '—'}</dd></div>
      <div><dt>Time left</dt><dd>${formatDuration(etaSeconds(copy))}</dd></div>
      <div><dt>Strategy</dt><dd>${copy.strategy ?? '—'}</dd></div>
      ${copy.deadline ? html`<div><dt>Stopped if unfinished at</dt><dd>${formatTime(copy.deadline)}</dd></div>` : null}
      ${copy.serverCopy ? html`<div><dt>Server copy</dt><dd>${copy.serverCopy.status}, polled ${copy.serverCopy.polls} time(s)${copy.serverCopy.description ? ` (${copy.serverCopy.description})` : ''}</dd></div>` : null}
      ${copy.concurrency ? html`<div><dt>Requests in flight</dt><dd>${copy.concurrency.limit} of ${copy.concurrency.of}${copy.concurrency.note ? ` (${copy.concurrency.note})` : ''}</dd></div>` : null}
    </dl>
    ${copy.strategyReason ? html`<p class="reason">Why ${copy.strategy}: ${copy.strategyReason}</p>` : null}
    ${copy.error ? html`<${ErrorText} error=${copy.error} />` : null}
    <h2>Throughput over time</h2>
    <${ThroughputChart} samples=${samples} />
    ${copy.strategies ? html`<${CountTable} caption="Blobs by strategy" what="Strategy" counts=${copy.strategies} />` : null}
    ${copy.verification ? html`<${CountTable} caption="Blobs by how they were checked" what="Check" counts=${copy.verification} />` : null}
    <h2>Failures</h2>
    ${copy.failures.length > 0
      ? html`<${FailureTable} failures=${copy.failures} notListed=${copy.failuresNotListed} caption=${`${copy.failures.length} failure(s)`} />`
      : html`<p>${active ? 'None so far (the failures of a copy are listed when it ends).' : 'None.'}</p>`}
    ${(copy.notes ?? []).map((note) => html`<p class="note">Note: ${note}</p>`)}`;
}

function CountTable({ caption, what, counts }) {
  return html`<table class="counts">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${what}</th><th scope="col">Blobs</th></tr></thead>
    <tbody>${Object.entries(counts).map(([name, n]) => html`<tr><th scope="row">${name}</th><td>${n}</td></tr>`)}</tbody>
  </table>`;
}

/** Cancel, after a confirmation in a modal dialog (keyboard: Escape keeps the copy running). */
function CancelButton({ copy, reload }) {
  const dialog = useRef(null);
  const [state, setState] = useState({});
  const confirm = async () => {
    dialog.current.close();
    setState({ cancelling: true });
    try {
      await cancelCopy(copy.instanceId);
      reload();
    } catch (error) {
      setState({ error });
    }
  };
  return html`<div class="cancel">
    <button type="button" class="danger" disabled=${state.cancelling} onClick=${() => dialog.current.showModal()}>
      ${state.cancelling ? 'Cancelling…' : 'Cancel this copy'}
    </button>
    ${state.error ? html`<${ErrorText} error=${state.error} alert />` : null}
    <dialog ref=${dialog} aria-labelledby="cancel-title" aria-describedby="cancel-what">
      <h2 id="cancel-title">Cancel ${copy.instanceId}?</h2>
      <p id="cancel-what">A pending server copy is aborted and its destination restored; block copies stop before their commit, so the destination is unchanged; in a prefix copy no further blob starts.</p>
      <div class="dialog-buttons">
        <button type="button" autofocus onClick=${() => dialog.current.close()}>Keep it running</button>
        <button type="button" class="danger" onClick=${confirm}>Cancel the copy</button>
      </div>
    </dialog>
  </div>`;
}
