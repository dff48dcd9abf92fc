// The dashboard's few browser-side helpers (loaded by App.razor; the CSP allows scripts from 'self').
window.immutableDashboard = {
  // The browser's IANA time zone; the server checks it before using it.
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || null,
  // After a navigation: focus the page's heading, unless the viewer is typing in a field (FocusHeadingOnNavigate).
  focusHeading: selector => {
    if (isTypingTarget(document.activeElement)) return false;
    const heading = document.querySelector(selector);
    if (!heading) return false;
    if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
    heading.focus();
    return true;
  },
};

function isTypingTarget(t) {
  return !!t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
}

// "/" focuses the app bar's search, unless the key is typed into a field.
document.addEventListener('keydown', e => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  if (isTypingTarget(e.target)) return;
  const input = document.querySelector('.global-search input');
  if (!input) return;
  e.preventDefault();
  input.focus();
});
