// The list of copies, newest first, a page at a time as the API pages (continuation tokens),
// filtered by status; the filter and page size live in the address (#/?status=running&top=20).
import { useState } from 'preact/hooks';
import { getCopy, listCopies } from './api.mjs';
import { RUNTIME_STATUSES } from './choices.mjs';
import { html } from './html.mjs';
import { FailureTable } from './failures.mjs';
import { describeStatus, etaSeconds, formatDuration, formatRate, formatTime, isActive } from './format.mjs';
import { usePolling } from './polling.mjs';
import { ApiProblem, ErrorText } from './problem.mjs';
import { ProgressBars, StatusBadge } from './progress.mjs';

const PAGE_SIZES = [5, 20, 50, 100];
const DEFAULT_PAGE_SIZE = 20;

export function CopyList({ query }) {
  const status = RUNTIME_STATUSES.find((s) => s.toLowerCase() === (query.get('status') ?? '').toLowerCase()) ?? '';
  const top = PAGE_SIZES.includes(Number(query.get('top'))) ? Number(query.get('top')) : DEFAULT_PAGE_SIZE;
  // The tokens of the pages shown so far: the last one is this page's (undefined: the first page).
  // Another filter is another list (app.mjs keys it by the query): it starts again at the first page.
  const [tokens, setTokens] = useState([undefined]);
  const token = tokens[tokens.length - 1];
  const { data, error, retryInMs, reload } = usePolling(
    () => listCopies({ status: status.toLowerCase(), top, continuationToken: token }),
    // Quick while something runs; slower otherwise, still showing copies started elsewhere.
    (page) => (page.copies.some(isActive) ? 2000 : 10000),
    [status, top, token],
  );
  const setFilter = (name, value) => {
    const next = new URLSearchParams({ ...(status ? { status } : {}), ...(top !== DEFAULT_PAGE_SIZE ? { top: String(top) } : {}) });
    if (value) next.set(name, value);
    else next.delete(name);
    location.hash = `#/${next.size ? `?${next}` : ''}`;
  };
  return html`<section aria-labelledby="list-title">
    <h1 id="list-title" tabindex="-1">Copies</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label for="status-filter">Status</label>
      <select id="status-filter" value=${status} onChange=${(e) => setFilter('status', e.currentTarget.value.toLowerCase())}>
        <option value="">All</option>
        ${RUNTIME_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <label for="page-size">Copies per page</label>
      <select id="page-size" value=${String(top)} onChange=${(e) => setFilter('top', e.currentTarget.value === String(DEFAULT_PAGE_SIZE) ? '' : e.currentTarget.value)}>
        ${PAGE_SIZES.map((n) => html`<option value=${String(n)}>${n}</option>`)}
      </select>
    </form>
    <${ApiProblem} error=${error} retryInMs=${retryInMs} reload=${reload} />
    ${data ? html`<${CopyCards} copies=${data.copies} filtered=${Boolean(status)} />` : error ? null : html`<p>Loading copies…</p>`}
    <nav class="pager" aria-label="Pages of copies">
      <button type="button" disabled=${tokens.length === 1} onClick=${() => setTokens(tokens.slice(0, -1))}>Newer</button>
      <span>Page ${tokens.length}</span>
      <button type="button" disabled=${!data?.continuationToken} onClick=${() => setTokens([...tokens, data.continuationToken])}>Older</button>
    </nav>
  </section>`;
}

function CopyCards({ copies, filtered }) {
  if (copies.length === 0) return html`<p class="empty">${filtered ? 'No copy has this status.' : 'No copies yet.'} <a href="#/new">Start a copy</a>.</p>`;
  return html`<ol class="copies">${copies.map((copy) => html`<${CopyCard} key=${copy.id} copy=${copy} />`)}</ol>`;
}

function CopyCard({ copy }) {
  const headingId = `copy-${copy.id}`;
  return html`<li class="copy">
    <div class="copy-head">
      <h2 id=${headingId}><a href=${`#/copies/${encodeURIComponent(copy.id)}`}>${copy.id}</a></h2>
      <${StatusBadge} copy=${copy} text=${describeStatus(copy)} />
    </div>
    <${ProgressBars} copy=${copy} idPrefix=${`list-${copy.id}`} />
    <dl class="facts">
      <div><dt>Started</dt><dd>${formatTime(copy.createdTime)}</dd></div>
      <div><dt>Throughput</dt><dd>${isActive(copy) ? formatRate(copy.rateBytesPerSec) : '—'}</dd></div>
      <div><dt>Time left</dt><dd>${formatDuration(etaSeconds(copy))}</dd></div>
      <div><dt>Strategy</dt><dd>${copy.strategy ?? '—'}</dd></div>
    </dl>
    ${copy.error ? html`<${ErrorText} error=${copy.error} />` : null}
    ${copy.blobs.failed > 0 ? html`<${FailuresOnDemand} copy=${copy} />` : null}
  </li>`;
}

/** A copy's failures are in its own status, not in the list: asked for when opened. */
function FailuresOnDemand({ copy }) {
  const [state, setState] = useState({});
  const toggle = async (event) => {
    if (!event.currentTarget.open || state.failures) return;
    try {
      const full = await getCopy(copy.id);
      setState({ failures: full.failures, notListed: full.failuresNotListed });
    } catch (error) {
      setState({ error });
    }
  };
  return html`<details class="copy-failures" onToggle=${toggle}>
    <summary>Show the ${copy.blobs.failed} failure(s)</summary>
    ${state.failures
      ? html`<${FailureTable} failures=${state.failures} notListed=${state.notListed} caption=${`Failures of ${copy.id}`} />`
      : state.error
        ? html`<${ErrorText} error=${state.error} alert />`
        : html`<p>Loading…</p>`}
  </details>`;
}
