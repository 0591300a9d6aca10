// Signing in with an API key: checked with GET /v1/caller, then kept in
// this tab's session storage (gone when the tab closes).

import { api, signIn } from '../api.js';
import { h, replace } from '../dom.js';
import * as session from '../session.js';

export async function render(ctx) {
  const key = h('input', { id: 'key', type: 'password', autocomplete: 'off',
    required: true, placeholder: 'ap_…', size: 48 });
  const message = h('p', { id: 'signin-message', class: 'muted' },
    'An API key made with `aggregator keys create` or apctl keys create.');
  const form = h('form', { id: 'signin', class: 'card' },
    h('h2', {}, 'Sign in'),
    h('label', { for: 'key' }, 'API key'), key,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const caller = await api.caller(key.value.trim());
      signIn(key.value.trim());
      session.setCaller(caller);
      session.clearBanner();
      window.location.hash = ctx.params.get('next') || '#/workflows';
    } catch (e) {
      message.className = 'error-text';
      replace(message, `Not signed in: ${e.message}`);
    }
  });
  replace(ctx.main, form);
  key.focus();
}
