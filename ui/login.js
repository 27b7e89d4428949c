// The login form: the token goes once to POST /login, which sets an HttpOnly cookie.
const form = document.getElementById('login');
const error = document.getElementById('error');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  try {
    const r = await fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token.value }) });
    if (r.ok) {
      location.replace('/');
      return;
    }
    const body = await r.json().catch(() => ({}));
    error.textContent = body.error ?? `the server answered ${r.status}`;
  } catch {
    error.textContent = 'the server cannot be reached';
  }
  error.hidden = false;
});
