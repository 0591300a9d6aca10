// A confirmation in the page (not window.confirm): the question, what
// will happen, and two buttons. Resolves true when confirmed.

import { h, replace } from './dom.js';

export function confirmAction(question, detail, extra = null) {
  const modal = document.getElementById('modal');
  return new Promise((resolve) => {
    const done = (answer) => {
      modal.hidden = true;
      replace(modal);
      resolve(answer);
    };
    replace(modal, h('div', { class: 'dialog', role: 'dialog' },
      h('h3', {}, question),
      h('p', {}, detail),
      extra,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', id: 'confirm-yes', class: 'primary',
          onclick: () => done(true) }, 'Confirm'),
        h('button', { type: 'button', id: 'confirm-no',
          onclick: () => done(false) }, 'Cancel'))));
    modal.hidden = false;
    document.getElementById('confirm-no').focus();
  });
}
