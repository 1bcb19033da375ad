// Label-tab keyboard shortcuts: they click the buttons by elem_id, so a key does exactly what
// the button does. 1-6 choose, Shift+1-6 reject, Enter submit, S skip, R regenerate, U undo.
// Keys typed into a text field, or pressed with Ctrl/Alt/Meta, are left alone.
(function () {
  if (window.__diagramlabShortcuts) return;
  window.__diagramlabShortcuts = true;

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
    if (typing(event.target)) return;
    let id = null;
    const digit = /^Digit([1-6])$/.exec(event.code || "");
    if (digit) {
      id = (event.shiftKey ? "reject-" : "choose-") + (Number(digit[1]) - 1);
    } else if (event.key === "Enter") {
      id = "submit";
    } else if (!event.shiftKey) {
      id = { s: "skip", r: "regenerate", u: "undo" }[(event.key || "").toLowerCase()] || null;
    }
    const button = id && visibleButton(id);
    if (!button) return;
    event.preventDefault();
    button.click();
  });
})();
