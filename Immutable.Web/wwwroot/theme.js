// The dashboard's theme before the first paint. Loaded (from this origin, as the Content-Security-Policy requires) in
// the <head> of every page, including the static ones (sign-in, setup, the 404 document) that have no circuit:
// sets <html data-theme="dark|light"> from the choice saved by the app bar's toggle (localStorage "immutable.theme"),
// else the system's preference, and mirrors a saved choice into the cookie the server reads to render the 404
// document in the same theme.
(function () {
  var key = "immutable.theme";
  function cookie(value) {
    document.cookie = key + "=" + value + "; path=/; max-age=31536000; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
  }
  var saved = null;
  try { saved = localStorage.getItem(key); } catch (e) { /* storage blocked: system preference */ }
  if (saved !== "dark" && saved !== "light") saved = null;
  var dark = saved ? saved === "dark" : !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
  if (saved) cookie(saved);
  // Called by the app bar's toggle (MainLayout) after it saved the choice.
  window.immutableTheme = {
    remember: function (value) {
      if (value !== "dark" && value !== "light") return;
      cookie(value);
      document.documentElement.setAttribute("data-theme", value);
    }
  };
})();
