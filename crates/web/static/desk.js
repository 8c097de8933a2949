// Pulang arrival desk: refreshes the possible-match panel while the registrar types, and
// prints the queue slip. Everything works without it (the server shows matches on submit).
(function () {
  "use strict";
  var form = document.querySelector("form[data-matches-url]");
  var body = document.getElementById("matches-body");
  if (form && body) {
    var timer = null;
    var seq = 0;
    var refresh = function () {
      var mine = ++seq;
      var data = new URLSearchParams();
      ["csrf", "full_name", "sex", "age", "birth_date", "phones", "passport_no", "nik", "origin_province"].forEach(function (k) {
        var el = form.elements[k];
        if (el && el.value) { data.append(k, el.value); }
      });
      fetch(form.getAttribute("data-matches-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: data.toString()
      }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        // Only the newest answer is shown; the fragment is escaped by the server.
        if (html !== null && mine === seq) { body.innerHTML = html; }
      }).catch(function () {});
    };
    form.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(refresh, 200);
    });
  }
  var print = document.getElementById("print-slip");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
})();
