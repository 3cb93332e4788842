/* briefqa widget: <script src="https://assistant.example/widget.js" data-title="Ask the briefing" defer></script>
 * Adds a chat button that opens the assistant in a panel (an iframe of /widget on the assistant's server).
 * data-title: panel title; data-label: button text; data-position: "right" (default) or "left";
 * data-color: button colour; data-open="true": open the panel at load. No key or secret lives in this page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__briefqaWidget) return;
  window.__briefqaWidget = true;
  var base = new URL(".", script.src);
  var d = script.dataset || {};
  var title = d.title || "Ask the briefing";
  var side = d.position === "left" ? "left" : "right";
  var color = d.color || "#1f4e79";

  var button = document.createElement("button");
  button.type = "button";
  button.id = "briefqa-button";
  button.textContent = d.label || "Ask the briefing";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;padding:12px 18px;" +
    "border:0;border-radius:24px;background:" + color + ";color:#fff;font:600 15px system-ui,sans-serif;" +
    "box-shadow:0 2px 10px rgba(0,0,0,.25);cursor:pointer";

  var panel = document.createElement("div");
  panel.id = "briefqa-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  panel.style.cssText = "position:fixed;bottom:76px;" + side + ":20px;z-index:2147483000;width:380px;" +
    "max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 100px);display:none;flex-direction:column;" +
    "background:#fff;border:1px solid #ccc;border-radius:10px;box-shadow:0 4px 24px rgba(0,0,0,.3);overflow:hidden";

  var bar = document.createElement("div");
  bar.style.cssText = "display:flex;align-items:center;justify-content:space-between;padding:8px 12px;" +
    "background:" + color + ";color:#fff;font:600 14px system-ui,sans-serif";
  var label = document.createElement("span");
  label.textContent = title;
  var close = document.createElement("button");
  close.type = "button";
  close.id = "briefqa-close";
  close.textContent = "\u00d7";
  close.setAttribute("aria-label", "Close");
  close.style.cssText = "border:0;background:transparent;color:#fff;font-size:20px;cursor:pointer";
  bar.appendChild(label);
  bar.appendChild(close);

  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "briefqa-frame";
      frame.title = title;
      frame.src = new URL("widget", base).href;
      frame.style.cssText = "flex:1;border:0;width:100%";
      panel.appendChild(frame);
    }
    panel.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
  }
  function hide() {
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
  }
  button.addEventListener("click", function () { panel.style.display === "flex" ? hide() : open(); });
  close.addEventListener("click", hide);
  panel.appendChild(bar);

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
    if (d.open === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
