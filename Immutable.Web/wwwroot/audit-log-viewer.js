// <audit-log-viewer token="…" theme="dark|light" height="600"> — the activity viewer of the server that serves this
// script, embedded as an iframe in a shadow root. The page that uses it must be one of the workspace's allowed frame
// ancestors (Settings → Viewer, or PUT /api/v1/settings/viewer); the token comes from POST /api/v1/viewer-token.
(function () {
  "use strict";
  const script = document.currentScript;
  const origin = script && script.src ? new URL(script.src).origin : window.location.origin;

  class AuditLogViewer extends HTMLElement {
    static get observedAttributes() { return ["token", "theme", "height"]; }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._frame = document.createElement("iframe");
      this._frame.setAttribute("title", "Activity");
      this._frame.setAttribute("referrerpolicy", "no-referrer");
      this._frame.style.cssText = "display:block;width:100%;border:0;";
      this._root.appendChild(this._frame);
    }

    connectedCallback() { this._render(); }

    attributeChangedCallback() { if (this.isConnected) this._render(); }

    _render() {
      const url = new URL("/viewer", origin);
      url.searchParams.set("token", this.getAttribute("token") || "");
      url.searchParams.set("theme", this.getAttribute("theme") === "dark" ? "dark" : "light");
      const height = parseInt(this.getAttribute("height") || "600", 10);
      this._frame.style.height = (isNaN(height) ? 600 : height) + "px";
      if (this._frame.src !== url.href) this._frame.src = url.href;
    }
  }

  if (!customElements.get("audit-log-viewer")) customElements.define("audit-log-viewer", AuditLogViewer);
})();
