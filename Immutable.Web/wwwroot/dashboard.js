// The dashboard's few browser-side helpers (loaded by App.razor; the CSP allows scripts from 'self').
window.immutableDashboard = {
  // The browser's IANA time zone; the server checks it before using it.
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || null,
};

// "/" focuses the app bar's search, unless the key is typed into a field.
document.addEventListener('keydown', e => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  const input = document.querySelector('.global-search input');
  if (!input) return;
  e.preventDefault();
  input.focus();
});
