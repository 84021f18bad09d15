// The dashboard: a hash router over three views (the list, a copy, the start form), so one
// page served by one function is every view, and a view's address can be shared or bookmarked.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { CopyList } from './copyList.mjs';
import { CopyPage } from './copyPage.mjs';
import { html } from './html.mjs';
import { StartForm } from './startForm.mjs';

/** #/copies/<id>, #/new, or the list: #/?status=running&top=20. */
function currentRoute() {
  const [path, query = ''] = (location.hash.replace(/^#/, '') || '/').split('?');
  return { path, query: new URLSearchParams(query) };
}

function App() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  // A new view moves the focus to its heading, as a page load would, so keyboard and screen reader users start there.
  const [firstView, setFirstView] = useState(true);
  useEffect(() => {
    if (firstView) setFirstView(false);
    else document.querySelector('main h1')?.focus();
  }, [route.path]);
  const copyId = /^\/copies\/(.+)$/.exec(route.path)?.[1];
  const view = route.path === '/new' ? html`<${StartForm} />` : copyId ? html`<${CopyPage} key=${copyId} id=${decodeURIComponent(copyId)} />` : html`<${CopyList} key=${route.query.toString()} query=${route.query} />`;
  const current = (here) => (here ? 'page' : undefined);
  return html`
    <header class="top">
      <span class="brand">blobferry</span>
      <nav aria-label="Dashboard">
        <a href="#/" aria-current=${current(!copyId && route.path !== '/new')}>Copies</a>
        <a href="#/new" aria-current=${current(route.path === '/new')}>Start a copy</a>
      </nav>
    </header>
    <main>${view}</main>`;
}

// The "Loading" placeholder goes: preact renders beside what is already there.
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);
