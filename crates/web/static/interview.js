// Pulang interview: saves an answer as soon as it changes and refreshes the outcome panel.
// The page works without this script (every section has a Save button); this only makes it
// quicker. No external hosts, no inline code (the CSP forbids both).
(function () {
  'use strict';
  var form = document.getElementById('interview');
  var panel = document.getElementById('outcome');
  if (!form || !panel || !window.fetch) return;
  function save() {
    var data = new URLSearchParams(new FormData(form));
    data.set('action', 'save');
    data.delete('confirm_sign');
    // form.action would be the submit buttons named "action"; read the attribute.
    fetch(form.getAttribute('action'), { method: 'POST', body: data, credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('outcome');
        if (fresh) panel.innerHTML = fresh.innerHTML;
        form.setAttribute('data-saved', String(Date.now()));
      })
      .catch(function () { form.setAttribute('data-save-failed', 'true'); });
  }
  form.addEventListener('change', function (e) {
    if (e.target && e.target.name === 'confirm_sign') return;
    save();
  });
})();
