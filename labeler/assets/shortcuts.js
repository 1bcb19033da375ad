// Label-tab keyboard shortcuts: they click the buttons by elem_id, so a key does exactly what
// the button does. 1-6 (top row or numpad) choose, Shift+1-6 reject, Enter submit, S skip,
// B both bad, T tie, R regenerate, U undo, O rank mode: there 1-6 give the order, best first
// (they click the hidden "order-N" buttons while the grid has the class "ordering"). Keys typed into a text field, or pressed with
// Ctrl/Alt/Meta, are left alone. A click on a candidate's drawing opens it full size (Escape or
// a click closes it). `window.__diagramlabKeys` keeps the last 40 keys and what each did (a
// browser test prints it when a key seems to have gone nowhere).
(function () {
  if (window.__diagramlabShortcuts) return;
  window.__diagramlabShortcuts = true;
  const keyLog = window.__diagramlabKeys = [];

  function log(event, what) {
    keyLog.push([Math.round(performance.now()), event.key, what]);
    if (keyLog.length > 40) keyLog.shift();
  }

  function typing(target) {
    if (!target) return false;
    const tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable
      || (target.closest && target.closest(".cm-editor, [contenteditable='true']"));
  }

  function visibleButton(id) {
    const el = document.getElementById(id);
    const button = el && (el.tagName === "BUTTON" ? el : el.querySelector("button"));
    // offsetParent is null for hidden elements, e.g. when another tab is open.
    if (!button || button.disabled || button.offsetParent === null) return null;
    return button;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    if (typing(event.target)) return log(event, "typing");
    let id = null;
    if (event.key === "Escape" && closeZoom()) return;
    // Numpad digits: with NumLock off, Shift+Numpad1 arrives as "End" but keeps its code.
    const digit = /^(?:Digit|Numpad)([1-6])$/.exec(event.code || "");
    if (digit && !event.shiftKey && document.querySelector("#candidates.ordering")) {
      const card = document.getElementById("card-" + (Number(digit[1]) - 1));
      const order = document.getElementById("order-" + (Number(digit[1]) - 1));
      const hidden = order && (order.tagName === "BUTTON" ? order : order.querySelector("button"));
      if (!hidden || !card || card.offsetParent === null) return log(event, "no card");
      event.preventDefault();
      hidden.click();
      return log(event, "order-" + (Number(digit[1]) - 1));
    }
    if (digit) {
      id = (event.shiftKey ? "reject-" : "choose-") + (Number(digit[1]) - 1);
    } else if (event.key === "Enter") {
      id = "submit";
    } else if (!event.shiftKey) {
      id = { s: "skip", b: "both-bad", t: "tie", r: "regenerate", u: "undo", o: "rank-mode" }[
        (event.key || "").toLowerCase()] || null;
    }
    const button = id && visibleButton(id);
    if (!button) return id && log(event, id + " not clickable");
    event.preventDefault();
    button.click();
    log(event, id);
  });

  function closeZoom() {
    const open = document.getElementById("zoom");
    if (open) open.remove();
    return Boolean(open);
  }

  // Full-size view of one candidate: a click on its drawing (not on the card's buttons).
  document.addEventListener("click", function (event) {
    const img = event.target && event.target.closest && event.target.closest(
      ".candidate-image img, #compare-left img, #compare-right img");
    if (!img) return;
    event.preventDefault();
    event.stopPropagation();
    closeZoom();
    const overlay = document.createElement("div");
    overlay.id = "zoom";
    overlay.title = "click or Escape to close";
    const big = document.createElement("img");
    big.src = img.src;
    overlay.appendChild(big);
    overlay.addEventListener("click", closeZoom);
    document.body.appendChild(overlay);
  }, true);
})();
