// Look-alike URIs are asked about before they are stored (issue 14 §12).
// The API answers 409 uri-lookalike with the look-alikes (for staff with their
// member; for a member user its own member's only); the user confirms and the
// request goes again with "confirm_lookalike": true.
import { h } from './dom.js';
import { confirmDialog } from './widgets.js';

function whose(l) {
  if (l.same_member || !l.member_id) return 'this member';
  return h('a', { href: `#/members/${encodeURIComponent(l.member_id)}` }, l.member_name || `member ${l.member_id}`);
}

// send(extra) posts the request with the fields of `extra` added; returns its
// answer, or null when the user chose not to go on. verb: 'Add' / 'Approve'.
export async function askLookalikes(send, uri, verb = 'Add') {
  try {
    return await send({});
  } catch (err) {
    if (!(err && err.status === 409 && err.type === 'uri-lookalike')) throw err;
    const looks = (err.problem && err.problem.lookalikes) || [];
    const body = h('div', {},
      h('p', {}, h('code', {}, uri), ' looks like ', looks.length > 1 ? 'these URIs' : 'this URI',
        ' (differing only in case, port, a trailing slash or a fragment). Relying parties may mistake one for the other.'),
      h('ul', { class: 'lookalikes' }, looks.map((l) => h('li', {}, h('code', {}, l.uri), ' of ', whose(l),
        l.status === 'pending' ? ' (proposed, not yet approved)' : ''))));
    const ok = await confirmDialog({ title: `${verb} anyway?`, body, confirm: `${verb} anyway`, focusCancel: true });
    if (!ok) return null;
    return send({ confirm_lookalike: true });
  }
}
