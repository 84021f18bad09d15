// Start a copy: the main options of the copy request (docs/api.md). The form checks nothing
// itself: it posts to the API, and shows the API's own messages beside the fields they name,
// so they are the same as every other caller gets.
import { useRef, useState } from 'preact/hooks';
import { startCopy } from './api.mjs';
import { OVERWRITE_POLICIES, STRATEGIES, VERIFY_MODES } from './choices.mjs';
import { html } from './html.mjs';
import { ApiProblem } from './problem.mjs';

const CHOICES = {
  'options.overwrite': OVERWRITE_POLICIES,
  'options.strategy': STRATEGIES,
  'options.verify': VERIFY_MODES,
};

/** The form's fields -> a copy request. Empty fields are left out, so the API's defaults apply. */
function requestOf(form) {
  const data = new FormData(form);
  const text = (name) => String(data.get(name) ?? '').trim();
  const lines = (name) => text(name).split('\n').map((l) => l.trim()).filter(Boolean);
  const options = {};
  if (data.get('options.recursive')) options.recursive = true;
  if (data.get('options.createContainer')) options.createContainer = true;
  for (const name of ['options.include', 'options.exclude']) if (lines(name).length > 0) options[name.slice(8)] = lines(name);
  for (const name of [...Object.keys(CHOICES), 'options.timeout']) if (text(name)) options[name.slice(8)] = text(name);
  // A number field the browser cannot read is sent as it was typed, for the API to say what is wrong.
  if (text('options.concurrency')) options.concurrency = Number.isNaN(Number(text('options.concurrency'))) ? text('options.concurrency') : Number(text('options.concurrency'));
  return { ...(text('id') ? { id: text('id') } : {}), source: text('source'), destination: text('destination'), options };
}

/** The API's field errors by form field (options.include.2 -> options.include). */
function fieldErrors(error) {
  const listed = error.details?.errors ?? (error.details?.field ? [{ field: error.details.field, message: error.message }] : []);
  const byField = {};
  for (const { field, message } of listed) {
    const name = String(field).split('.').filter((part) => !/^\d+$/.test(part)).join('.');
    byField[name] = byField[name] ? `${byField[name]}; ${message}` : message;
  }
  return byField;
}

export function StartForm() {
  const [state, setState] = useState({ errors: {} });
  const problem = useRef(null);
  const submit = async (event) => {
    event.preventDefault();
    setState({ sending: true, errors: {} });
    try {
      const started = await startCopy(requestOf(event.currentTarget));
      location.hash = `#/copies/${encodeURIComponent(started.id)}`;
    } catch (error) {
      setState({ error, errors: fieldErrors(error) });
      problem.current?.focus();
    }
  };
  const errors = state.errors;
  // Without the key nothing was checked: the key first, then the same form again.
  const needsKey = state.error?.code === 'UNAUTHORIZED';
  return html`<section aria-labelledby="start-title">
    <h1 id="start-title" tabindex="-1">Start a copy</h1>
    <div ref=${problem} tabindex="-1" role="alert" class=${state.error && !needsKey ? 'error' : 'hidden'}>
      ${state.error && !needsKey ? html`<strong>${state.error.code}</strong>: ${state.error.message}` : null}
    </div>
    ${needsKey ? html`<${ApiProblem} error=${state.error} reload=${() => setState({ errors: {} })} />` : null}
    <form class="start" novalidate onSubmit=${submit}>
      <${Field} errors=${errors} name="source" label="Source" help="An Azure blob, prefix or container URL with its SAS, an S3 URL, or a public http(s) URL.">
        <input type="text" inputmode="url" autocomplete="off" spellcheck=${false} ...${control('source', errors)} />
      <//>
      <${Field} errors=${errors} name="destination" label="Destination" help="An Azure blob URL, or a prefix or container ending with /, with its SAS.">
        <input type="text" inputmode="url" autocomplete="off" spellcheck=${false} ...${control('destination', errors)} />
      <//>
      <${Checkbox} errors=${errors} name="options.recursive" label="Recursive: everything under the prefix or container" help="Needed for include and exclude patterns." />
      <${Field} errors=${errors} name="options.include" label="Include (one glob a line)" help="*.csv matches base names, 2024/** paths.">
        <textarea rows="2" ...${control('options.include', errors)}></textarea>
      <//>
      <${Field} errors=${errors} name="options.exclude" label="Exclude (one glob a line)" help="Names matching any of these are not copied.">
        <textarea rows="2" ...${control('options.exclude', errors)}></textarea>
      <//>
      <div class="option-grid">
        <${Choice} errors=${errors} name="options.overwrite" label="Overwrite" help="When the destination exists (default never)." />
        <${Choice} errors=${errors} name="options.strategy" label="Strategy" help="How to copy (default: decided blob by blob)." />
        <${Choice} errors=${errors} name="options.verify" label="Verify" help="After each copy: compare sizes (default), or read it back and compare MD5s." />
        <${Field} errors=${errors} name="options.concurrency" label="Concurrency" help="Requests in flight, 1 to 256 (default 16).">
          <input type="text" inputmode="numeric" ...${control('options.concurrency', errors)} />
        <//>
        <${Field} errors=${errors} name="options.timeout" label="Timeout per blob" help="90m, 6h, 2d… (default 24h). A server copy unfinished by then is aborted and its destination restored.">
          <input type="text" ...${control('options.timeout', errors)} />
        <//>
      </div>
      <${Checkbox} errors=${errors} name="options.createContainer" label="Create the destination container if it does not exist" help="It takes an account key, Entra ID or an account SAS." />
      <${Field} errors=${errors} name="id" label="Copy id (optional)" help="Letters, digits, . _ : - (default: derived from the request, so the same request is the same copy).">
        <input type="text" autocomplete="off" ...${control('id', errors)} />
      <//>
      <button type="submit" disabled=${state.sending}>${state.sending ? 'Starting…' : 'Start the copy'}</button>
    </form>
  </section>`;
}

/** The attributes that tie a control to its label, help and error. */
const control = (name, errors) => ({
  id: `field-${name}`,
  name,
  'aria-invalid': errors[name] ? 'true' : undefined,
  'aria-describedby': [`help-${name}`, errors[name] ? `error-${name}` : ''].filter(Boolean).join(' '),
});

const FieldNotes = ({ name, help, errors }) => html`
  <p class="help" id=${`help-${name}`}>${help}</p>
  ${errors[name] ? html`<p class="field-error" id=${`error-${name}`}>${errors[name]}</p>` : null}`;

function Field({ name, label, help, errors, children }) {
  return html`<div class="field">
    <label for=${`field-${name}`}>${label}</label>
    ${children}
    <${FieldNotes} name=${name} help=${help} errors=${errors} />
  </div>`;
}

function Choice({ name, label, help, errors }) {
  return html`<${Field} name=${name} label=${label} help=${help} errors=${errors}>
    <select ...${control(name, errors)}><option value="">default</option>${CHOICES[name].map((c) => html`<option value=${c}>${c}</option>`)}</select>
  <//>`;
}

function Checkbox({ name, label, help, errors }) {
  return html`<div class="field checkbox">
    <input type="checkbox" ...${control(name, errors)} />
    <label for=${`field-${name}`}>${label}</label>
    <${FieldNotes} name=${name} help=${help} errors=${errors} />
  </div>`;
}
