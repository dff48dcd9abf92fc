// The dashboard's few browser-side helpers (loaded by App.razor; the CSP allows scripts from 'self').
window.immutableDashboard = {
  // The browser's IANA time zone; the server checks it before using it.
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || null,
  // After a navigation: focus the page's heading, unless the viewer is typing in a field (FocusHeadingOnNavigate).
  // On the page's first load the circuit may start seconds after the page shows; by then the viewer may have tabbed
  // into it, so the heading takes the focus only if nothing has it yet.
  focusHeading: (selector, onlyIfUnfocused) => {
    const active = document.activeElement;
    if (isTypingTarget(active)) return false;
    if (onlyIfUnfocused && active && active !== document.body && active !== document.documentElement) return false;
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
