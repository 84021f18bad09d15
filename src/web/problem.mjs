// What the page says when the API did not answer as hoped: the host is away (it tries again by
// itself), it wants the function key (asked for here), or the API's own code and message.
import { useState } from 'preact/hooks';
import { functionKey } from './api.mjs';
import { html } from './html.mjs';

export function ApiProblem({ error, retryInMs, reload }) {
  if (!error) return null;
  if (error.code === 'UNAUTHORIZED') return html`<${KeyPrompt} reload=${reload} wrong=${Boolean(functionKey.get())} />`;
  if (error.passing) {
    return html`<div class="notice" role="status">
      <p>Lost contact with the blobferry host (${error.message}). Trying again in ${Math.round(retryInMs / 1000)} s; what is shown is as it was last seen.</p>
      <button type="button" onClick=${reload}>Try now</button>
    </div>`;
  }
  return html`<${ErrorText} error=${error} alert />`;
}

/** A stable code and its message; `alert`: read out at once (an answer to what the user just did). */
export function ErrorText({ error, alert }) {
  return html`<p class="error" role=${alert ? 'alert' : undefined}><strong>${error.code}</strong>: ${error.message}</p>`;
}

/** The host wants its function key: asked for once per tab, kept in sessionStorage (api.js). */
function KeyPrompt({ reload, wrong }) {
  const [key, setKey] = useState('');
  const submit = (event) => {
    event.preventDefault();
    functionKey.set(key.trim());
    reload();
  };
  return html`<form class="key-prompt" onSubmit=${submit}>
    <h2>Function key</h2>
    <p id="key-help">${wrong ? 'The host refused this key. ' : ''}This host wants its function key (x-functions-key). It is kept in this tab only and sent in a header, never in a URL.</p>
    <label for="function-key">Function key</label>
    <input id="function-key" type="password" autocomplete="off" required aria-describedby="key-help" value=${key} onInput=${(e) => setKey(e.currentTarget.value)} />
    <button type="submit">Use this key</button>
  </form>`;
}
