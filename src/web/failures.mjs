// A copy's failures: which blob, where to, the stable code and the message (secrets already redacted by the API).
import { html } from './html.mjs';

export function FailureTable({ failures, notListed, caption }) {
  return html`<div class="table-scroll" role="region" aria-label=${caption} tabindex="0">
    <table class="failures">
      <caption>${caption}</caption>
      <thead><tr><th scope="col">Source</th><th scope="col">Destination</th><th scope="col">Code</th><th scope="col">Message</th></tr></thead>
      <tbody>
        ${failures.map((f) => html`<tr><td class="place">${f.source}</td><td class="place">${f.destination}</td><td><code>${f.code}</code></td><td>${f.message}</td></tr>`)}
      </tbody>
    </table>
    ${notListed ? html`<p>${notListed} more failure(s) not listed (the API keeps the first 1,000).</p>` : null}
  </div>`;
}
