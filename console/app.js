// The console's router: #/ (overview), #/topics, #/topics/<name>, #/messages/<topic>?..., #/groups,
// #/groups/<id>. Each page renders into <main> and may return a stop function (for its polling).
import { h, message } from './dom.js';
import { overviewPage } from './overview.js';
import { topicsPage, topicPage } from './topics.js';
import { messagesPage } from './messages.js';
import { groupsPage, groupPage } from './groups.js';

let stop = null;

function parse() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').filter((s) => s !== '').map((s) => { try { return decodeURIComponent(s); } catch { return s; } });
  return { parts, query: new URLSearchParams(query) };
}

async function render() {
  if (stop) { stop(); stop = null; }
  const main = document.getElementById('main');
  const { parts, query } = parse();
  const [page, arg] = parts;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.nav === (page ?? 'overview'));
  const view = h('div', {});
  main.replaceChildren(view);
  try {
    if (page === undefined) stop = await overviewPage(view);
    else if (page === 'topics' && arg === undefined) await topicsPage(view);
    else if (page === 'topics') await topicPage(view, arg);
    else if (page === 'messages') await messagesPage(view, arg, query);
    else if (page === 'groups' && arg === undefined) stop = await groupsPage(view);
    else if (page === 'groups') stop = await groupPage(view, arg);
    else view.replaceChildren(message('error', `No page ${location.hash}`));
  } catch (err) {
    view.replaceChildren(message('error', err instanceof Error ? err.message : String(err)));
  }
  document.body.dataset.page = page ?? 'overview';
  document.body.dataset.ready = 'true';
}

window.addEventListener('hashchange', () => { document.body.dataset.ready = 'false'; void render(); });
void render();
