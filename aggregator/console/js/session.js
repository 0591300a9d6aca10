// Who is signed in (the key's owner and role) and the page's banner.

import { signOut } from './api.js';
import { replace } from './dom.js';

let current = null;  // {owner, role} as GET /v1/caller answers

export function setCaller(caller) {
  current = caller;
}

export function caller() {
  return current;
}

// Readers see no actions (the server refuses them anyway).
export function canWrite() {
  return current !== null && current.role !== 'ROLE_READER';
}

export function leave() {
  signOut();
  current = null;
}

// An error in words at the top of the page; an unknown key signs out.
export function showError(error) {
  const banner = document.getElementById('banner');
  banner.className = 'error';
  replace(banner, error.message || String(error));
  banner.hidden = false;
  if (error.status === 401) {
    leave();
    window.location.hash = '#/signin';
  }
}

export function showNotice(text) {
  const banner = document.getElementById('banner');
  banner.className = 'notice';
  replace(banner, text);
  banner.hidden = false;
}

export function clearBanner() {
  document.getElementById('banner').hidden = true;
}
