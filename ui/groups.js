// Pre-defined groups: list, the form (it writes the same OMA group document the API takes: the
// server builds it with its one XML writer), import and export of the XML, deletion.
import { act, call, clearError, fill, get, h } from './api.js';

const $ = (id) => document.getElementById(id);
const seg = encodeURIComponent;
const tri = (v) => (v === null || v === undefined ? '' : String(v));
const fromTri = (v) => (v === '' ? null : v === 'true');
const num = (v) => (v === '' ? null : Number(v));

export async function refreshGroups() {
  const { groups } = await get('/groups');
  fill($('groups'), groups.map((g) =>
    h('tr', { dataset: { group: g.id } }, h('td', {}, g.id), h('td', {}, new Date(g.updatedAt).toLocaleString()),
      h('td', { className: 'row' },
        h('button', { className: 'quiet', type: 'button', onclick: () => act(() => edit(g.id)) }, 'Edit'),
        h('a', { href: `/groups/${seg(g.id)}`, download: `${g.id}.xml` }, 'Export XML'),
        h('button', {
          className: 'danger', type: 'button',
          onclick: () => confirm(`Delete group ${g.id}? Its running session ends.`) && act(() => call('DELETE', `/groups/${seg(g.id)}`), refreshGroups),
        }, 'Delete')))), 'no groups yet', 3);
}

function show(id, f, otherRules) {
  const form = $('group-form');
  form.hidden = false;
  $('group-form-title').textContent = id === '' ? 'New group' : `Group ${id}`;
  form.elements.groupId.value = id;
  form.elements.groupId.readOnly = id !== '';
  form.displayName.value = f.displayName;
  form.members.value = f.members.join('\n');
  form.maxParticipantCount.value = f.maxParticipantCount ?? '';
  form.inviteMembers.value = tri(f.inviteMembers);
  form.joinHandling.value = f.joinHandling;
  form.allowAnonymity.checked = f.allowAnonymity;
  form.allowInitiateConference.checked = f.allowInitiateConference;
  form.allowConferenceState.checked = f.allowConferenceState;
  form.autoRelease.value = tri(f.autoRelease);
  form.sessionMaxLength.value = f.sessionMaxLength ?? '';
  form.numberOfRemainingParticipants.value = tri(f.numberOfRemainingParticipants);
  const note = $('group-other-rules');
  note.hidden = otherRules === 0;
  note.textContent = `This group has ${otherRules} more rule(s) the form does not show; they are kept.`;
  form.elements.groupId.focus();
}

async function edit(id) {
  const r = await get(`/groups/${seg(id)}/form`);
  show(id, r.form, r.otherRules);
}

const EMPTY = {
  displayName: '', members: [], maxParticipantCount: null, inviteMembers: null, joinHandling: 'allow',
  allowAnonymity: false, allowInitiateConference: true, allowConferenceState: true,
  autoRelease: null, sessionMaxLength: null, numberOfRemainingParticipants: null,
};

function formValue(form) {
  return {
    displayName: form.displayName.value.trim(),
    members: form.members.value.split('\n').map((m) => m.trim()).filter(Boolean),
    maxParticipantCount: num(form.maxParticipantCount.value),
    inviteMembers: fromTri(form.inviteMembers.value),
    joinHandling: form.joinHandling.value,
    allowAnonymity: form.allowAnonymity.checked,
    allowInitiateConference: form.allowInitiateConference.checked,
    allowConferenceState: form.allowConferenceState.checked,
    autoRelease: fromTri(form.autoRelease.value),
    sessionMaxLength: num(form.sessionMaxLength.value),
    numberOfRemainingParticipants: num(form.numberOfRemainingParticipants.value),
  };
}

export function setUpGroups() {
  const form = $('group-form');
  $('group-new').addEventListener('click', () => {
    clearError();
    show('', EMPTY, 0);
  });
  $('group-cancel').addEventListener('click', () => {
    clearError();
    form.hidden = true;
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = form.elements.groupId.value.trim();
    void act(async () => {
      await call('PUT', `/groups/${seg(id)}/form`, formValue(form));
      form.hidden = true;
    }, refreshGroups);
  });
  $('group-import').addEventListener('change', (e) => {
    const file = e.target.files[0];
    if (!file) return;
    void act(async () => {
      const text = await file.text();
      await call('POST', '/groups', text, 'application/xml');
      e.target.value = '';
    }, refreshGroups);
  });
}
