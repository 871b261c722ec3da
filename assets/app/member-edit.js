// Editing a member's details (issue 14 §10): name, NPI (its check digit
// checked here first), contacts (several, each with e-mail, name and role)
// and notes, through PATCH /api/v1/members/{id} (audited with the fields
// changed). Staff only; the member page opens it.
import { h } from './dom.js';
import { patch, enc } from './api.js';
import { field, input, busy, markField, fieldError, button } from './widgets.js';
import { npiProblem } from './checks.js';

function contactRow(c, list) {
  const n = list.children.length;
  const row = h('fieldset', { class: 'contact grid' },
    h('legend', {}, `Contact ${n + 1}`),
    field('E-mail', input(`contacts[${n}].email`, { type: 'email', value: c.email || '', required: true })),
    field('Name', input(`contacts[${n}].name`, { value: c.name || '', maxlength: 256 })),
    field('Role', input(`contacts[${n}].role`, { value: c.role || '', maxlength: 128, placeholder: 'e.g. security officer' })));
  const remove = button('Remove contact', () => { row.remove(); renumber(list); }, 'btn btn-small btn-danger-quiet');
  row.append(h('div', { class: 'actions' }, remove));
  return row;
}

// After a removal the names follow the order again (the API's field names
// contacts[i].email: the i-th row).
function renumber(list) {
  [...list.children].forEach((row, i) => {
    row.querySelector('legend').textContent = `Contact ${i + 1}`;
    for (const el of row.querySelectorAll('input')) el.name = el.name.replace(/^contacts\[\d+\]/, `contacts[${i}]`);
  });
}

// The edit form for member m; onSaved(member) after a successful PATCH.
export function memberEditForm(m, msg, onSaved, onCancel) {
  const name = input('name', { value: m.name, required: true, maxlength: 256 });
  const npi = input('npi', { value: m.npi || '', inputmode: 'numeric', maxlength: 10, placeholder: '10 digits' });
  const notes = h('textarea', { name: 'notes', rows: 3, maxlength: 4000 }, m.notes || '');
  const list = h('div', { class: 'contacts' });
  for (const c of m.contacts || []) list.append(contactRow(c, list));
  const add = button('Add a contact', () => { list.append(contactRow({}, list)); list.lastChild.querySelector('input').focus(); }, 'btn btn-small');
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes');
  const cancel = button('Cancel', () => onCancel(), 'btn');
  const form = h('form', { class: 'form member-edit', novalidate: true },
    h('div', { class: 'grid' }, field('Name', name, 'The legal name: it becomes the certificates’ organisation (O).'), field('NPI (optional)', npi)),
    h('h3', {}, 'Contacts'), list, h('div', { class: 'actions' }, add),
    field('Notes', notes), h('div', { class: 'actions' }, cancel, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await busy(save, async () => {
      try {
        markField(form);
        const body = { name: name.value.trim(), npi: npi.value.trim() || null, notes: notes.value };
        if (body.npi) { const bad = npiProblem(body.npi); if (bad) throw fieldError('npi', bad); }
        body.contacts = [...list.children].map((row) => {
          const c = {};
          for (const el of row.querySelectorAll('input')) { const k = el.name.split('.')[1]; if (el.value.trim()) c[k] = el.value.trim(); }
          return c;
        });
        body.contacts.forEach((c, i) => { if (!c.email) throw fieldError(`contacts[${i}].email`, 'Each contact needs an e-mail address.'); });
        const saved = await patch(`/api/v1/members/${enc(m.id)}`, body);
        onSaved(saved);
      } catch (err) { markField(form, err); throw err; }
    }, msg, 'Saving…');
  });
  return form;
}
