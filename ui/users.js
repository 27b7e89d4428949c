// Users: list, add (or change a password), delete. The password goes to the server once; only
// its HA1 hashes are stored there.
import { act, call, fill, get, h, showError } from './api.js';

const $ = (id) => document.getElementById(id);

export async function refreshUsers() {
  const { users } = await get('/users');
  fill($('users'), users.map((u) =>
    h('tr', { dataset: { user: u.user } }, h('td', {}, u.user), h('td', {}, u.realm),
      h('td', {}, h('button', {
        className: 'danger', type: 'button',
        onclick: () => confirm(`Delete ${u.user}? Its registrations go too.`) && act(() => call('DELETE', `/users/${encodeURIComponent(u.user)}`), refreshUsers),
      }, 'Delete')))), 'no users yet', 3);
}

export function setUpUsers() {
  const form = $('user-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const user = form.user.value.trim();
    if (form.password.value !== form.again.value) return showError('the two passwords differ');
    void act(async () => {
      await call('PUT', `/users/${encodeURIComponent(user)}`, { password: form.password.value });
      form.reset();
    }, refreshUsers);
  });
}
