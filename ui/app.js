// The admin page: four views switched by the URL fragment; the status stream drives refreshes.
import { act, call, clearError, session, showError } from './api.js';
import { startStatus } from './status.js';
import { refreshPeople } from './people.js';
import { refreshGroups, setUpGroups } from './groups.js';
import { refreshUsers, setUpUsers } from './users.js';

const refreshers = { people: refreshPeople, groups: refreshGroups, users: refreshUsers };
let view = 'status';

function showView() {
  view = (location.hash || '#status').slice(1);
  if (!['status', 'people', 'groups', 'users'].includes(view)) view = 'status';
  clearError();
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.dataset.view !== view;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === view);
  void refresh();
}

let busy = false;
async function refresh() {
  const fn = refreshers[view];
  if (!fn || busy) return;
  busy = true;
  try {
    await fn();
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
  }
}

async function main() {
  const s = await session();
  const logout = document.getElementById('logout');
  logout.hidden = s.access !== 'cookie';
  logout.addEventListener('click', () => act(async () => {
    await call('POST', '/logout');
    location.replace('/login');
  }));
  setUpGroups();
  setUpUsers();
  window.addEventListener('hashchange', showView);
  showView();
  // the lists of the open view follow the status stream's beat
  startStatus(() => void refresh());
  document.body.dataset.ready = 'true';
}

main().catch(showError);
